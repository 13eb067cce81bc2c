"""A long pause Telegram asks for: kept in the database across a restart, and staff told of
one over five minutes and of its end (bot/delivery/pauses.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import pauses
from bot.delivery.limiter import Pacer
from bot.delivery.worker import Worker
from bot.domain import demo, staff
from bot.domain.staff import SYSTEM
from bot.sandbox.local import RunningServer
from bot.store.models import Alert, Delivery, DeliveryPause, Subscriber, utcnow
from tests.delivery.conftest import bot_for, drain, fast_config, subscribe_and_publish

COORDINATOR = 5_000_001


def _pause(sessions: sessionmaker[Session]) -> DeliveryPause | None:
    with sessions() as session:
        return session.scalar(select(DeliveryPause))


def _notices(sessions: sessionmaker[Session]) -> list[tuple[str, int, str]]:
    """(kind, chat, status) of every pause notice queued."""
    with sessions() as session:
        rows = session.execute(
            select(Alert.kind, Subscriber.chat_id, Delivery.status)
            .join(Delivery, Delivery.alert_id == Alert.id)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Alert.kind.in_((pauses.PAUSED, pauses.RESUMED)))
            .order_by(Delivery.id)
        )
        return [(kind, chat, status) for kind, chat, status in rows]


async def _until(condition: Callable[[], object]) -> None:
    """Look every 50 ms (the database: nothing to wait on) for 20 s at most."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met within 20 s")


async def test_a_long_pause_is_kept_told_to_staff_and_waited_out_after_a_restart(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    with sessions.begin() as session:
        staff.grant(session, SYSTEM, COORDINATOR, "coordinator")
    subscribe_and_publish(sessions, 5)
    # The server takes one message, then asks for a wait of 500 s.
    server.control.configure(global_rate=0.002, global_burst=1, limit_mode="strict")

    stop = asyncio.Event()
    async with bot_for(server) as bot:
        worker = Worker(sessions, engine, bot, Pacer(None, None), fast_config())
        running = asyncio.create_task(worker.run(stop))
        await _until(lambda: _pause(sessions) is not None and _notices(sessions))
        stop.set()
        await running

    kept = _pause(sessions)
    assert kept is not None and kept.announced and kept.retry_after >= 400
    assert _notices(sessions) == [(pauses.PAUSED, COORDINATOR, "pending")]
    assert server.control.counters()["sent"] == 1
    asked = server.control.counters()["requests"]["sendMessage"]

    # A restarted worker waits the pause out rather than asking Telegram again.
    restarted = Pacer(None, None)
    stop = asyncio.Event()
    async with bot_for(server) as bot:
        worker = Worker(sessions, engine, bot, restarted, fast_config())
        running = asyncio.create_task(worker.run(stop))
        await _until(lambda: restarted.paused_for() > 0)
        await asyncio.sleep(0.3)
        stop.set()
        await running
    assert restarted.paused_for() >= 400
    assert server.control.counters()["requests"]["sendMessage"] == asked  # no new try

    # The pause over, the first sends that go through end it; staff are told.
    with sessions.begin() as session:
        session.execute(update(DeliveryPause).values(paused_until=utcnow() - timedelta(seconds=1)))
    server.control.configure(global_rate=None)
    stop = asyncio.Event()
    async with bot_for(server) as bot:
        worker = Worker(sessions, engine, bot, Pacer(None, None), fast_config())
        running = asyncio.create_task(worker.run(stop))
        await _until(lambda: _pause(sessions) is None and len(_notices(sessions)) == 2)
        await server.acontrol.wait(COORDINATOR, count=2, timeout=10)
        stop.set()
        await running
    assert _notices(sessions) == [
        (pauses.PAUSED, COORDINATOR, "sent"),
        (pauses.RESUMED, COORDINATOR, "sent"),
    ]
    texts = [m["text"] for m in server.control.messages(COORDINATOR)]
    assert "BROADCASTS PAUSED" in texts[0] and "BROADCASTS RESUMED" in texts[1]


async def test_a_short_pause_is_neither_kept_nor_announced(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    with sessions.begin() as session:
        demo.load(session, subscribers=3)
        staff.grant(session, SYSTEM, COORDINATOR, "coordinator")
    subscribe_and_publish(sessions, 3)
    server.control.configure(global_rate=1, global_burst=1, limit_mode="strict")

    await drain(engine, server, Pacer(None, None))

    assert server.control.counters()["status"]["429"] >= 1
    assert _pause(sessions) is None and _notices(sessions) == []
