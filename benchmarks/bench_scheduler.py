"""What a scheduler cycle costs: reading the schedule with nothing due, queueing one reminder
to many followers, queueing many digests at one hour. SQLite, and PostgreSQL when
TEST_DATABASE_URL is set (make bench sets it).

    .venv/bin/python benchmarks/run.py scheduler
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.schedule import Policy
from bot.scheduler import Scheduler
from bot.store import migrate
from bot.store.db import make_engine, make_session_factory
from bot.store.models import Alert, Base, Case, Delivery, Scope, Subscriber, utcnow

CASES = 2_000
FOLLOWERS = 10_000
DIGESTS = 2_000
# Noon: the copies held this morning go in tomorrow's 09:00 digest.
NOW = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)


def _fill(sessions: sessionmaker[Session]) -> None:
    """CASES active cases (deadlines spread over months), FOLLOWERS following all, of whom
    DIGESTS in digest mode with three held copies each."""
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
        alert_ids = [
            session.scalar(
                insert(Alert)
                .values(case_id=n, kind="new", texts={}, created_at=NOW - timedelta(minutes=n))
                .returning(Alert.id)
            )
            for n in (1, 2, 3)
        ]
        digest_ids = ids[:DIGESTS]
        session.execute(
            insert(Delivery),
            [
                {"alert_id": a, "subscriber_id": s, "status": "held", "next_attempt_at": NOW}
                for a in alert_ids
                for s in digest_ids
            ],
        )


def _timed(label: str, scheduler: Scheduler, at: timedelta) -> None:
    scheduler.clock = lambda: NOW + at
    started = time.perf_counter()
    plan = scheduler.cycle()
    elapsed = time.perf_counter() - started
    queued = {k: v for k, v in scheduler.stats.items() if k not in ("cycles",)}
    print(f"  {label:<44} {elapsed * 1000:8.0f} ms   due {len(plan.due):>5}   {queued}")
    scheduler.stats.clear()


def _run(name: str, engine: Engine) -> None:
    print(f"{name}: {CASES} active cases, {FOLLOWERS} followers, {DIGESTS} in digest mode")
    sessions = make_session_factory(engine)
    _fill(sessions)
    scheduler = Scheduler(sessions, Policy())
    _timed("a cycle with nothing due", scheduler, timedelta(0))
    _timed("the same, again", scheduler, timedelta(0))
    _timed(f"{DIGESTS} digests at 09:00 the next day", scheduler, timedelta(hours=21, minutes=1))
    _timed("one 48 h reminder to every follower", scheduler, timedelta(days=1, hours=1))


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
