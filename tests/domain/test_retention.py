"""Retention (bot/domain/retention.py): a week's notice to the coordinators, then a closed
case's restricted fields erased, and nothing else; a dry run counts and changes nothing.
On both databases; the clock is the test's, starting at the real time of the closing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, retention, staff
from bot.domain.cases import get_case
from bot.store.models import Alert, AuditEvent, Delivery, Person, utcnow
from tests.domain.factories import CANARIES, COORDINATOR, active, dump, person

RULES = retention.Rules()
OLD, OPEN = "KZ-2026-801", "KZ-2026-803"


def _setup(sessions: sessionmaker[Session]) -> datetime:
    """Two cases whose people hold restricted values, one closed now, one active; the time
    the closing was recorded."""
    with sessions.begin() as session:
        staff.grant(session, staff.SYSTEM, COORDINATOR.user_id or 0, "coordinator")
        for ref in (OLD, OPEN):
            active(session, ref)
            cases.add_person(session, COORDINATOR, ref, person("Әлия", **CANARIES))
        cases.close(session, COORDINATOR, OLD, "released", "She was released.")
    return utcnow()


def _restricted(sessions: sessionmaker[Session], ref: str) -> list[str | None]:
    with sessions() as session:
        case = get_case(session, ref)
        return [getattr(p, name) for p in case.people for name in Person.RESTRICTED]


def _run(sessions: sessionmaker[Session], now: datetime, dry: bool = False) -> retention.Report:
    with sessions.begin() as session:
        return retention.run(session, now, RULES, dry_run=dry)


def test_nothing_happens_before_the_notice_is_due(sessions: sessionmaker[Session]) -> None:
    closed_at = _setup(sessions)
    before = dump(sessions)
    assert _run(sessions, closed_at + RULES.after - RULES.notice - timedelta(hours=1)) == (
        retention.Report()
    )
    assert dump(sessions) == before


def test_coordinators_are_told_a_week_before_and_the_fields_go_after_it(
    sessions: sessionmaker[Session],
) -> None:
    closed_at = _setup(sessions)
    notice_at = closed_at + RULES.after - RULES.notice + timedelta(hours=1)
    assert _run(sessions, notice_at) == retention.Report(notices=1)
    assert _run(sessions, notice_at + timedelta(days=1)) == retention.Report()  # told once
    with sessions() as session:
        [notice] = session.scalars(select(Alert).where(Alert.kind == "retention_notice"))
        assert OLD in notice.texts["en"] and "will erase" in notice.texts["en"]
        assert "удалит" in notice.texts["ru"] and "өшіреді" in notice.texts["kk"]
        assert (
            session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.alert_id == notice.id)
            )
            >= 1
        )
    assert any(_restricted(sessions, OLD))

    erased = _run(sessions, notice_at + RULES.notice)
    assert erased == retention.Report(cases=1, people=1, fields=len(Person.RESTRICTED))
    assert not any(_restricted(sessions, OLD))
    assert any(_restricted(sessions, OPEN))  # an active case keeps everything
    with sessions() as session:
        case = get_case(session, OLD)
        assert [p.name for p in case.people] == ["Aigerim Example", "Әлия"]  # public stays
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.erase"))
        assert event.after == {"people": 1, "fields": 5}
        assert not any(v in str(event.after) for v in CANARIES.values())
    assert _run(sessions, notice_at + RULES.notice + timedelta(days=30)) == retention.Report()


def test_a_late_notice_still_gives_its_full_week(sessions: sessionmaker[Session]) -> None:
    closed_at = _setup(sessions)
    late = closed_at + RULES.after + timedelta(days=30)  # uabot was down for a month
    assert _run(sessions, late) == retention.Report(notices=1)
    assert _run(sessions, late + RULES.notice - timedelta(hours=1)).cases == 0
    assert _run(sessions, late + RULES.notice).cases == 1


def test_a_dry_run_counts_and_changes_nothing(sessions: sessionmaker[Session]) -> None:
    closed_at = _setup(sessions)
    notice_at = closed_at + RULES.after - RULES.notice + timedelta(hours=1)
    before = dump(sessions)
    assert _run(sessions, notice_at, dry=True) == retention.Report(notices=1)
    assert dump(sessions) == before
    _run(sessions, notice_at)
    before = dump(sessions)
    dry = _run(sessions, notice_at + RULES.notice, dry=True)
    assert dry == retention.Report(cases=1, people=1, fields=5)
    assert dump(sessions) == before
