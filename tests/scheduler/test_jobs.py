"""The scheduler's jobs against the database: the dedupe key decides, a job no longer due
gives its key back, notices reach the case's coordinators only, and `uabot schedule list`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.domain import actions, cases, scheduled, staff, subscriptions
from bot.domain.staff import SYSTEM
from bot.schedule import Policy
from bot.scheduler import Scheduler
from bot.store.models import Alert, Delivery, Subscriber
from tests.conftest import TEST_KEY
from tests.scheduler.conftest import (
    COORDINATOR_ID,
    REF,
    Clock,
    deadline_of,
    follow_all,
    publish_case,
)

H = timedelta(hours=1)
OTHER_STAFF = 902


def _due(sessions: sessionmaker[Session], clock: Clock) -> list:
    with sessions() as session:
        return scheduled.load_plan(session, clock(), Policy()).due


def test_a_job_run_twice_queues_once(sessions: sessionmaker[Session], clock: Clock) -> None:
    follow_all(sessions, 11, 12)
    clock.set(publish_case(sessions, clock) - 47 * H)
    [job] = [job for job in _due(sessions, clock) if job.kind == "reminder"]
    first, second = Scheduler(sessions, clock=clock), Scheduler(sessions, clock=clock)
    assert first.execute(job, clock()) == 2
    assert second.execute(job, clock()) is None  # the unique key refused the second claim
    assert second.stats["taken"] == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Alert.dedupe_key == job.key)) == 1


def test_a_job_no_longer_due_leaves_its_key_free(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11)
    clock.set(publish_case(sessions, clock) - 47 * H)
    [job] = [job for job in _due(sessions, clock) if job.kind == "reminder"]
    with sessions.begin() as session:
        cases.close(session, SYSTEM, REF, "released", "Released.", now=clock())
    scheduler = Scheduler(sessions, clock=clock)
    assert scheduler.execute(job, clock()) is None
    assert scheduler.stats["void"] == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Alert.dedupe_key == job.key)) == 0


def test_reminders_count_only_followers_who_have_not_acted(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11, 12, 13)
    deadline = publish_case(sessions, clock)
    with sessions.begin() as session:
        actions.record_action(session, 12, REF, now=clock())
    clock.set(deadline - 47 * H)
    Scheduler(sessions, clock=clock).cycle()
    with sessions() as session:
        chats = session.scalars(
            select(Subscriber.chat_id)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Alert.kind == "deadline_reminder")
        )
        assert sorted(chats) == [11, 13]


def test_notices_go_privately_to_the_coordinators_who_worked_on_the_case(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11)
    deadline = publish_case(sessions, clock)
    with sessions.begin() as session:
        staff.grant(session, SYSTEM, OTHER_STAFF, "coordinator")
        subscriptions.set_mode(session, COORDINATOR_ID, "digest")  # a notice is never held
    clock.set(deadline + H)
    Scheduler(sessions, clock=clock).cycle()
    with sessions() as session:
        rows = session.execute(
            select(Subscriber.chat_id, Delivery.status, Alert.case_id)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Alert.kind == "deadline_passed")
        ).all()
        assert [tuple(row) for row in rows] == [(COORDINATOR_ID, "pending", None)]
        # staff business: the case's own tallies count subscribers only
        assert actions.case_stats(session, REF).reached == 1


def test_a_moved_deadline_shows_as_new_reminders_in_the_plan(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11)
    deadline = publish_case(sessions, clock)
    with sessions.begin() as session:
        cases.set_deadline(session, SYSTEM, REF, deadline + 24 * H, now=clock())
    with sessions() as session:
        upcoming = scheduled.load_plan(session, clock(), Policy()).upcoming
    reminders = {job.key.split(":", 2)[2]: job.at for job in upcoming if job.kind == "reminder"}
    assert reminders == {
        "v2:48h": deadline_of(sessions) - 48 * H,
        "v2:6h": deadline_of(sessions) - 6 * H,
    }


def test_schedule_list_names_what_when_which_case_and_for_how_many(
    sessions: sessionmaker[Session], clock: Clock, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    follow_all(sessions, 11, 12)
    follow_all(sessions, 13, mode="digest")
    publish_case(sessions, clock)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("UABOT_SECRET_KEYS", TEST_KEY)
    result = CliRunner().invoke(main, ["schedule", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["WHEN", "STATE", "WHAT", "CASE", "FOR"]
    body = [line.split() for line in lines[1:]]
    assert [line[3:] for line in body if "reminder" in line] == [
        ["reminder", "48h", REF, "3", "subscribers"],
        ["reminder", "6h", REF, "3", "subscribers"],
    ]
    assert [REF, "1", "coordinators"] in [line[-3:] for line in body if "stale" in line]
    assert ["1", "subscribers"] in [line[-2:] for line in body if "digest" in line]
