"""What a scheduler cycle costs: reading the schedule with nothing due, queueing one reminder
to many followers, queueing many digests at one hour, in batches as a cycle runs them; and,
for reference, as many digests a day later with one transaction each (Scheduler.execute).
SQLite, and PostgreSQL when TEST_DATABASE_URL is set (make bench sets it).

    .venv/bin/python benchmarks/run.py scheduler
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.scheduled import load_plan
from bot.schedule import DIGEST, Policy
from bot.scheduler import Scheduler
from bot.store import migrate
from bot.store.db import make_engine, make_session_factory
from bot.store.models import Alert, Base, Case, Delivery, Scope, Subscriber, utcnow

CASES = 2_000
FOLLOWERS = 10_000
DIGESTS = 2_000
# Noon: the copies held this morning go in tomorrow's 09:00 digest.
NOW = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)


def _fill(sessions: sessionmaker[Session]) -> list[int]:
    """CASES active cases (deadlines spread over months), FOLLOWERS following all, of whom
    DIGESTS in digest mode with three held copies each; their subscriber ids."""
    with sessions.begin() as session:
        session.execute(
            insert(Case),
            [
                {
                    "ref": f"KZ-2026-{n:04d}",
                    "title": f"Case {n}",
                    "country": "KZ",
                    "status": "active",
                    "deadline": NOW + timedelta(days=3, hours=n),
                    "deadline_version": 1,
                    "published_at": NOW - timedelta(days=1),
                    "last_update_at": NOW - timedelta(days=1),
                }
                for n in range(1, CASES + 1)
            ],
        )
        session.execute(
            insert(Subscriber),
            [
                {"chat_id": n, "mode": "digest" if n <= DIGESTS else "immediate"}
                for n in range(1, FOLLOWERS + 1)
            ],
        )
        ids = list(session.scalars(select(Subscriber.id)))
        session.execute(insert(Scope), [{"subscriber_id": i, "kind": "all"} for i in ids])
    digest_ids = ids[:DIGESTS]
    _hold(sessions, digest_ids, NOW, (1, 2, 3))
    return digest_ids


def _hold(
    sessions: sessionmaker[Session], subscriber_ids: list[int], at: datetime, cases: tuple[int, ...]
) -> None:
    """An alert per case, published shortly before `at`, held for these subscribers."""
    with sessions.begin() as session:
        alert_ids = [
            session.scalar(
                insert(Alert)
                .values(case_id=n, kind="new", texts={}, created_at=at - timedelta(minutes=n))
                .returning(Alert.id)
            )
            for n in cases
        ]
        session.execute(
            insert(Delivery),
            [
                {"alert_id": a, "subscriber_id": s, "status": "held", "next_attempt_at": at}
                for a in alert_ids
                for s in subscriber_ids
            ],
        )


def _timed(label: str, scheduler: Scheduler, at: timedelta) -> float:
    """One cycle at NOW + `at`; its seconds."""
    scheduler.clock = lambda: NOW + at
    started = time.perf_counter()
    plan = scheduler.cycle()
    elapsed = time.perf_counter() - started
    _print(label, elapsed, len(plan.due), scheduler)
    return elapsed


def _one_transaction_each(label: str, scheduler: Scheduler, at: timedelta) -> float:
    """The digests due at NOW + `at`, read as a cycle reads them, then run one job per
    transaction, as every cycle ran them before batches: the reference."""
    now = NOW + at
    started = time.perf_counter()
    with scheduler.sessions() as session:
        due = [job for job in load_plan(session, now, scheduler.policy).due if job.kind == DIGEST]
    for job in due:
        scheduler.execute(job, now)
    elapsed = time.perf_counter() - started
    _print(label, elapsed, len(due), scheduler)
    return elapsed


def _print(label: str, elapsed: float, due: int, scheduler: Scheduler) -> None:
    queued = {k: v for k, v in scheduler.stats.items() if k not in ("cycles",)}
    print(f"  {label:<44} {elapsed * 1000:8.0f} ms   due {due:>5}   {queued}")
    scheduler.stats.clear()


def _run(name: str, engine: Engine) -> None:
    print(f"{name}: {CASES} active cases, {FOLLOWERS} followers, {DIGESTS} in digest mode")
    sessions = make_session_factory(engine)
    digest_ids = _fill(sessions)
    scheduler = Scheduler(sessions, Policy())
    _timed("a cycle with nothing due", scheduler, timedelta(0))
    _timed("the same, again", scheduler, timedelta(0))
    batched = _timed(
        f"{DIGESTS} digests at 09:00 the next day", scheduler, timedelta(hours=21, minutes=1)
    )
    _timed("one 48 h reminder to every follower", scheduler, timedelta(days=1, hours=1))
    # The reminder held a copy for each digest subscriber: two more make three again.
    _hold(sessions, digest_ids, NOW + timedelta(days=1, hours=2), (4, 5))
    each = _one_transaction_each(
        f"{DIGESTS} digests a day later, a transaction each",
        scheduler,
        timedelta(days=1, hours=21, minutes=1),
    )
    print(
        f"  a digest: {batched / DIGESTS * 1000:.2f} ms batched, "
        f"{each / DIGESTS * 1000:.2f} ms with a transaction each: {each / batched:.1f}x"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        migrate.upgrade(engine)
        _run("SQLite", engine)
        engine.dispose()
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _run("PostgreSQL", engine)
        engine.dispose()


if __name__ == "__main__":
    main()
