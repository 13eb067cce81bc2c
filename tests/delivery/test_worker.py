"""`uabot worker` as real processes: SIGKILL mid-broadcast, SIGTERM, a standby taking over;
and the in-process worker waking at once when an alert is published."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.limiter import Pacer
from bot.delivery.lock import make_lock
from bot.delivery.worker import Worker
from bot.domain import demo
from bot.sandbox.local import RunningServer, run_server
from tests.conftest import TEST_KEY
from tests.delivery.conftest import (
    TOKEN,
    bot_for,
    claimed_rows,
    delivery_statuses,
    fast_config,
    subscribe_and_publish,
    tally,
)

UABOT = str(Path(sys.executable).with_name("uabot"))
BATCH = 20
SUBSCRIBERS = 400
ALL = set(range(1, SUBSCRIBERS + 1))


class Workers:
    """`uabot worker` subprocesses, each logging to its own file; all killed at the end."""

    def __init__(self, db_url: str, server: RunningServer, logs: Path) -> None:
        self.logs = logs
        self.env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "TELEGRAM_TOKEN": TOKEN,
            "BOT_API_BASE_URL": server.base_url,
            "UABOT_SECRET_KEYS": TEST_KEY,
            "LOG_LEVEL": "INFO",
            "DELIVERY_GLOBAL_RATE": "400",
            "DELIVERY_PER_CHAT_RATE": "0",
            "DELIVERY_BATCH_SIZE": str(BATCH),
            "DELIVERY_RETRY_BASE": "0.05",
            "DELIVERY_POLL_INTERVAL": "0.1",
            "DELIVERY_STANDBY_INTERVAL": "0.5",
        }
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen([UABOT, "worker", *args], env=self.env, stderr=log)
        self.started.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def server() -> Iterator[RunningServer]:
    """Without limits (the workers here send as fast as they may), which both modes count
    alike: one mode is enough."""
    with run_server(seed=7) as running:
        yield running


@pytest.fixture
def workers(db_url: str, server: RunningServer, tmp_path: Path) -> Iterator[Workers]:
    running = Workers(db_url, server, tmp_path)
    yield running
    running.kill_all()


def wait_until(condition: Callable[[], bool], timeout: float = 30, step: float = 0.02) -> float:
    """Seconds it took; fails the test past `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(step)
    return time.monotonic() - start


def sent_at_least(server: RunningServer, count: int) -> Callable[[], bool]:
    return lambda: server.control.counters()["sent"] >= count


def test_a_worker_killed_mid_broadcast_loses_nothing_and_resends_at_most_one_batch(
    sessions: sessionmaker[Session], server: RunningServer, workers: Workers
) -> None:
    subscribe_and_publish(sessions, SUBSCRIBERS)
    first = workers.start("first")
    wait_until(sent_at_least(server, 150))
    first.send_signal(signal.SIGKILL)
    first.wait()
    in_doubt = claimed_rows(sessions)

    assert workers.start("second", "--until-idle").wait(timeout=60) == 0

    seen = tally(server)
    print(f"\nSIGKILL mid-broadcast: {seen.duplicates} duplicate(s); {in_doubt} rows were claimed")
    assert seen.missing(ALL) == set()
    assert seen.duplicates <= BATCH
    assert delivery_statuses(sessions) == {"sent": SUBSCRIBERS}
    assert f"({in_doubt} claims of a previous sender released)" in workers.log("second")


def test_sigterm_finishes_and_records_the_sends_in_flight_then_exits_cleanly(
    sessions: sessionmaker[Session], server: RunningServer, workers: Workers
) -> None:
    subscribe_and_publish(sessions, SUBSCRIBERS)
    worker = workers.start("worker")
    wait_until(sent_at_least(server, 100))

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=15) == 0
    delivered = sum(tally(server).delivered.values())
    statuses = delivery_statuses(sessions)
    assert statuses["sent"] == delivered < SUBSCRIBERS  # every send recorded, no more
    assert claimed_rows(sessions) == 0


def test_a_standby_worker_takes_over_within_5_seconds_when_the_active_one_dies(
    db_url: str, sessions: sessionmaker[Session], server: RunningServer, workers: Workers
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("two processes on one database: PostgreSQL (SQLite's flock: see below)")
    subscribe_and_publish(sessions, SUBSCRIBERS)
    started = {"a": workers.start("a"), "b": workers.start("b")}
    wait_until(sent_at_least(server, 150))
    active = next(name for name in started if "active sender" in workers.log(name))
    standby = "b" if active == "a" else "a"
    assert "active sender" not in workers.log(standby)  # one sender per token, not two

    started[active].send_signal(signal.SIGKILL)
    started[active].wait()
    before = server.control.counters()["sent"]
    takeover = wait_until(sent_at_least(server, before + 1), timeout=10)
    wait_until(lambda: delivery_statuses(sessions) == {"sent": SUBSCRIBERS}, timeout=30)
    started[standby].send_signal(signal.SIGTERM)

    assert started[standby].wait(timeout=15) == 0
    seen = tally(server)
    print(f"\nstandby took over in {takeover:.2f} s; {seen.duplicates} duplicate(s)")
    assert takeover < 5
    assert seen.missing(ALL) == set()  # 0 lost
    assert seen.duplicates <= BATCH


async def test_one_sender_per_token_holds_the_lock_and_the_next_gets_it_on_release(
    engine: Engine,
) -> None:
    # A bot of its own: a worker process of another test may still be letting go of TOKEN's.
    first, second = (make_lock(engine, "777001:LOCK", lambda: None) for _ in range(2))
    other_bot = make_lock(engine, "777002:OTHER", lambda: None)
    assert await first.try_acquire()
    assert not await second.try_acquire()
    assert await other_bot.try_acquire()  # one sender per token, not per database
    await first.release()
    assert await second.try_acquire()
    for lock in (second, other_bot):
        await lock.release()


async def test_an_idle_worker_is_woken_by_a_new_alert_not_left_to_its_poll(
    db_url: str, engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    with sessions.begin() as session:
        demo.load(session, subscribers=5)
    # On PostgreSQL the poll is slowed down to prove that NOTIFY wakes the sender.
    poll = 60.0 if db_url.startswith("postgresql") else 0.25
    stop = asyncio.Event()
    async with bot_for(server) as bot:
        worker = Worker(sessions, engine, bot, Pacer(None, None), fast_config(poll_interval=poll))
        running = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(0.5)  # active and idle

        start = time.monotonic()
        await asyncio.to_thread(subscribe_and_publish, sessions, 5)
        await server.acontrol.wait(1, count=1, timeout=30)
        latency = time.monotonic() - start

        stop.set()
        await running
    print(f"\nfirst message {latency * 1000:.0f} ms after the publish")
    # On PostgreSQL, far under the 60 s poll: the NOTIFY woke it. On SQLite, no lag of many
    # polls. How fast it is exactly is `make bench`'s business, not a test's.
    assert latency < 20
