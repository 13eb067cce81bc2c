"""Two scheduler processes on one database, started on the same line: every reminder is
queued once and received once, every digest queued once. The unique dedupe key decides (and
for digests, locks on the held copies); one process waits for the other, no more."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.limiter import Pacer
from bot.delivery.sender import DeliveryConfig, Sender
from bot.delivery.worker import make_bot
from bot.sandbox.local import RunningServer
from bot.scheduler import BATCH
from bot.store.models import Alert, Delivery, Subscriber
from tests.conftest import TEST_KEY
from tests.scheduler.conftest import TOKEN, Clock, follow_all, publish_case

ROOT = Path(__file__).resolve().parents[2]
CASES = 8
FOLLOWERS = list(range(101, 111))
# More than a batch, so that the two processes' batches overlap in part.
DIGESTERS = list(range(1001, 1001 + BATCH + BATCH // 4))


def _start(db_url: str, now: str, tmp_path: Path, name: str) -> subprocess.Popen[str]:
    args = [db_url, now, str(tmp_path / f"{name}.ready"), str(tmp_path / "go")]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.scheduler.cycle_process", *args],
        cwd=ROOT,
        env={**os.environ, "UABOT_SECRET_KEYS": TEST_KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _race(db_url: str, now: str, tmp_path: Path) -> list[Counter[str]]:
    processes = [_start(db_url, now, tmp_path, name) for name in ("a", "b")]
    deadline = time.monotonic() + 20
    while not all((tmp_path / f"{n}.ready").exists() for n in ("a", "b")):
        assert time.monotonic() < deadline, [p.communicate() for p in processes]
        time.sleep(0.005)
    (tmp_path / "go").touch()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        results.append(Counter(json.loads(out)))
    return results


def test_two_processes_queue_each_reminder_once_and_it_arrives_once(
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: Clock,
    db_url: str,
    server: RunningServer,
    tmp_path: Path,
) -> None:
    follow_all(sessions, *FOLLOWERS)
    deadline = min(publish_case(sessions, clock, f"KZ-2026-{n:03d}") for n in range(1, CASES + 1))
    clock.set(deadline - timedelta(hours=47))

    a, b = _race(db_url, clock().isoformat(), tmp_path)
    assert a["reminder"] + b["reminder"] == CASES
    with sessions() as session:
        alerts = session.scalar(select(func.count()).where(Alert.kind == "deadline_reminder"))
        copies = session.scalar(select(func.count()).select_from(Delivery))
    assert alerts == CASES
    assert copies == CASES * len(FOLLOWERS) * 2  # each case's 'new' alert and its reminder

    asyncio.run(_drain(engine, server, clock))
    received = Counter(
        chat
        for chat in FOLLOWERS
        for m in server.control.messages(chat)
        if "REMINDER" in (m.get("plain_text") or "")
    )
    assert received == Counter({chat: CASES for chat in FOLLOWERS})


def test_two_processes_queue_each_digest_once(
    sessions: sessionmaker[Session], clock: Clock, db_url: str, tmp_path: Path
) -> None:
    follow_all(sessions, *DIGESTERS, mode="digest")
    day = clock().replace(hour=6, minute=0, second=0) + timedelta(days=1)
    clock.set(day)
    for n in range(1, 4):
        publish_case(sessions, clock, f"KZ-2026-{n:03d}")

    a, b = _race(db_url, day.replace(hour=9, minute=1).isoformat(), tmp_path)
    assert a["digest"] + b["digest"] == len(DIGESTERS)
    with sessions() as session:
        per_subscriber = Counter(
            dict(
                session.execute(
                    select(Subscriber.chat_id, func.count(Delivery.id))
                    .join(Delivery, Delivery.subscriber_id == Subscriber.id)
                    .join(Alert, Alert.id == Delivery.alert_id)
                    .where(Alert.kind == "digest")
                    .group_by(Subscriber.chat_id)
                ).all()
            )
        )
        statuses = dict(
            session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
        )
    assert per_subscriber == Counter(dict.fromkeys(DIGESTERS, 1))
    assert statuses == {"bundled": 3 * len(DIGESTERS), "pending": len(DIGESTERS)}


async def _drain(engine: Engine, server: RunningServer, clock: Clock) -> None:
    async with make_bot(TOKEN, server.base_url, 8) as bot:
        sender = Sender(
            engine, bot, Pacer(None, None), DeliveryConfig(poll_interval=0.02), clock=clock
        )
        await asyncio.wait_for(sender.run(until_idle=True), 30)
