"""Retention: a case closed long ago keeps its public record, not its people's restricted
fields. A week before they are erased, the case's coordinators are told (a notice through
the outbox); once the period has passed and the notice is a week old, the scheduler (or
`uabot retention run`) erases them, audited with counts only.

A case closed `after` ago whose notice went out late (uabot was down) is erased a full
`notice` after its notice: nobody loses the week they were promised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain import audit
from bot.domain.staff import SYSTEM
from bot.domain.views import public_case
from bot.languages import LANGUAGES
from bot.store.models import Alert, Case, CaseEvent, Person
from bot.texts import render

NOTICE = "retention_notice"


@dataclass(frozen=True)
class Rules:
    after: timedelta = timedelta(days=180)  # closed this long: restricted fields go
    notice: timedelta = timedelta(days=7)  # coordinators told this long before

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(timedelta(days=settings.RETENTION_DAYS), timedelta(days=7))


@dataclass(frozen=True)
class Report:
    """What a run did (or, dry, would do)."""

    notices: int = 0
    cases: int = 0
    people: int = 0
    fields: int = 0


def _closed_at() -> Select[int, datetime]:
    stmt = select(CaseEvent.case_id, func.max(CaseEvent.at).label("closed_at"))
    return stmt.where(CaseEvent.kind == "closed").group_by(CaseEvent.case_id)


def _holding(session: Session, closed_by: datetime) -> list[tuple[Case, datetime]]:
    """Closed cases, closed by `closed_by`, whose people still hold a restricted value."""
    closed = _closed_at().subquery()
    held = or_(*(getattr(Person, name).is_not(None) for name in Person.RESTRICTED))
    with_values = select(Person.case_id).where(held)
    stmt = (
        select(Case, closed.c.closed_at)
        .join(closed, closed.c.case_id == Case.id)
        .where(
            Case.status == "closed",
            closed.c.closed_at <= closed_by,
            Case.id.in_(with_values),
        )
        .order_by(Case.id)
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def notice_key(case: Case, closed_at: datetime) -> str:
    return f"retention:{case.id}:{int(closed_at.timestamp())}"


def run(session: Session, now: datetime, rules: Rules, *, dry_run: bool = False) -> Report:
    """Notices due, then erasures due; nothing written when `dry_run`."""
    notices = cases = people = fields = 0
    for case, closed_at in _holding(session, now - rules.after + rules.notice):
        key = notice_key(case, closed_at)
        sent = session.scalar(select(Alert.created_at).where(Alert.dedupe_key == key))
        if sent is None:
            notices += 1
            if not dry_run:
                _notify(session, case, key, now, rules)
            continue
        if closed_at > now - rules.after or sent > now - rules.notice:
            continue
        erased = _erase(session, case, dry_run)
        cases, people, fields = cases + 1, people + erased[0], fields + erased[1]
    return Report(notices, cases, people, fields)


def _notify(session: Session, case: Case, key: str, now: datetime, rules: Rules) -> None:
    from bot.watch.notify import queue  # the private notice's outbox path, as the watch's

    erase_on = now + rules.notice
    texts = {
        lang: render(
            "alerts/retention_notice.html", lang, case=public_case(case, lang), on=erase_on
        )
        for lang in LANGUAGES
    }
    queue(session, NOTICE, case, texts, [], key, now)


def _erase(session: Session, case: Case, dry_run: bool) -> tuple[int, int]:
    """(people, fields) that held a restricted value."""
    people = fields = 0
    for person in case.people:
        held = [name for name in Person.RESTRICTED if getattr(person, name) is not None]
        if not held:
            continue
        people, fields = people + 1, fields + len(held)
        if not dry_run:
            for name in held:
                setattr(person, name, None)
    if not dry_run:
        audit.record(
            session,
            SYSTEM,
            "retention.erase",
            case_ref=case.ref,
            entity="case",
            entity_id=case.id,
            after={"people": people, "fields": fields},
        )
    return people, fields
