"""Due jobs run in batches, one transaction each: a job that fails, or whose key another
process took meanwhile, undoes only itself and is retried or skipped as before, while the
rest of its batch is queued; and a batch that cannot commit queues none of its jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import scheduled
from bot.schedule import Job, Plan, Policy
from bot.scheduler import Scheduler
from bot.store.models import Alert, Delivery
from tests.scheduler.conftest import Clock, delivery_statuses, follow_all, publish_case

H = timedelta(hours=1)
REFS = ("KZ-2026-001", "KZ-2026-002", "KZ-2026-003")
FOLLOWERS = (11, 12)
DIGESTERS = (21, 22, 23)


def _publish_three(sessions: sessionmaker[Session], clock: Clock) -> datetime:
    return min(publish_case(sessions, clock, ref) for ref in REFS)


def _plan(sessions: sessionmaker[Session], clock: Clock) -> Plan:
    with sessions() as session:
        return scheduled.load_plan(session, clock(), Policy())


def _take(sessions: sessionmaker[Session], job: Job, kind: str, now: datetime) -> None:
    """What another process does between this one's plan and its claim: queue the job."""
    with sessions.begin() as session:
        session.add(Alert(kind=kind, texts={}, dedupe_key=job.key, created_at=now))


def _failing_for(monkeypatch: pytest.MonkeyPatch, name: str, bad: Callable[..., bool]) -> None:
    """Make scheduled.<name> fail, after doing its work, on the calls `bad` picks."""
    real = getattr(scheduled, name)

    def failing(*args: Any) -> Any:
        result = real(*args)
        if bad(*args):
            raise RuntimeError("a bug in one job")
        return result

    monkeypatch.setattr(scheduled, name, failing)


def _keys(sessions: sessionmaker[Session], kind: str) -> dict[str, int]:
    """Each alert of this kind by dedupe key, with its number of deliveries."""
    with sessions() as session:
        rows = session.execute(
            select(Alert.dedupe_key, func.count(Delivery.id))
            .outerjoin(Delivery, Delivery.alert_id == Alert.id)
            .where(Alert.kind == kind)
            .group_by(Alert.dedupe_key)
        )
        return {str(key): count for key, count in rows}


def test_a_failing_or_taken_reminder_leaves_the_rest_of_its_batch_queued(
    sessions: sessionmaker[Session], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    follow_all(sessions, *FOLLOWERS)
    clock.set(_publish_three(sessions, clock) - 47 * H)
    plan = _plan(sessions, clock)
    first, taken, failing = sorted(plan.due, key=lambda job: job.ref or "")
    _take(sessions, taken, "deadline_reminder", clock())
    monkeypatch.setattr(scheduled, "load_plan", lambda *_: plan)
    _failing_for(monkeypatch, "send_reminder", lambda _s, job, *_: job == failing)

    scheduler = Scheduler(sessions, clock=clock)
    scheduler.cycle()
    assert (scheduler.stats["reminder"], scheduler.stats["taken"]) == (1, 1)
    assert scheduler.stats["failed"] == 1
    # the failing reminder's alert and copies were undone with its savepoint, its key freed
    assert _keys(sessions, "deadline_reminder") == {first.key: len(FOLLOWERS), taken.key: 0}

    monkeypatch.undo()
    scheduler.cycle()
    assert scheduler.stats["reminder"] == 2  # tried again, and only it
    assert _keys(sessions, "deadline_reminder") == {
        first.key: len(FOLLOWERS),
        taken.key: 0,
        failing.key: len(FOLLOWERS),
    }


def test_a_failing_or_taken_digest_leaves_the_rest_of_its_batch_queued(
    sessions: sessionmaker[Session], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    follow_all(sessions, *DIGESTERS, mode="digest")
    day = clock().replace(hour=6, minute=0, second=0) + timedelta(days=1)
    clock.set(day)
    _publish_three(sessions, clock)
    clock.set(day.replace(hour=9, minute=1))
    plan = _plan(sessions, clock)
    good, taken, failing = sorted(plan.due, key=lambda job: job.subscriber_id or 0)
    _take(sessions, taken, "digest", clock())
    monkeypatch.setattr(scheduled, "load_plan", lambda *_: plan)
    # fails after the claims and the bundling: together, then alone, undone by savepoints
    _failing_for(
        monkeypatch,
        "_queue",
        lambda _s, pairs, _now: failing.subscriber_id in {sid for _, sid in pairs},
    )

    scheduler = Scheduler(sessions, clock=clock)
    scheduler.cycle()
    assert dict(scheduler.stats) == {"digest": 1, "taken": 1, "failed": 1, "cycles": 1}
    assert _keys(sessions, "digest") == {good.key: 1, taken.key: 0}
    assert delivery_statuses(sessions, DIGESTERS[0]) == {"bundled": 3, "pending": 1}
    # taken: its own digest is later
    assert delivery_statuses(sessions, DIGESTERS[1]) == {"held": 3}
    assert delivery_statuses(sessions, DIGESTERS[2]) == {"held": 3}

    monkeypatch.undo()
    scheduler.cycle()
    assert scheduler.stats["digest"] == 2
    assert _keys(sessions, "digest") == {good.key: 1, taken.key: 0, failing.key: 1}
    assert delivery_statuses(sessions, DIGESTERS[2]) == {"bundled": 3, "pending": 1}


class _CommitFails(Session):
    def commit(self) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))


def test_a_batch_that_cannot_commit_queues_none_of_its_jobs(
    sessions: sessionmaker[Session], engine: Engine, clock: Clock
) -> None:
    follow_all(sessions, *FOLLOWERS)
    follow_all(sessions, *DIGESTERS, mode="digest")
    day = clock().replace(hour=6, minute=0, second=0) + timedelta(days=1)
    clock.set(day)
    clock.set(_publish_three(sessions, clock) - 47 * H)  # the 48 h reminders, and digests
    assert {job.kind for job in _plan(sessions, clock).due} == {"reminder", "digest"}

    failing = sessionmaker(engine, class_=_CommitFails, expire_on_commit=False)
    with pytest.raises(OperationalError):
        Scheduler(failing, clock=clock).cycle()
    # SQLite: had a job's savepoint been the transaction itself, its release would have
    # committed that job
    assert _keys(sessions, "deadline_reminder") == {}

    scheduler = Scheduler(sessions, clock=clock)
    scheduler.cycle()
    assert scheduler.stats["reminder"] == len(REFS)
