"""Delivery tests: a real database (SQLite, PostgreSQL), the local Bot API server standing in
for Telegram over real HTTP, python-telegram-bot's real Bot. Limits are raised to keep the
suite fast; the benchmark uses Telegram's."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery.limiter import Pacer
from bot.delivery.outcomes import RetryPolicy
from bot.delivery.sender import DeliveryConfig, Sender
from bot.domain import cases, demo
from bot.domain.staff import SYSTEM
from bot.sandbox.limits import LIMIT_MODES
from bot.sandbox.local import RunningServer, run_server
from bot.store.models import Delivery, Subscriber

TOKEN = "123456:TEST-token"
REF = "KZ-2026-001"
FAST_RETRIES = RetryPolicy(base=0.05, cap=0.5, deadline=600)


@pytest.fixture(params=LIMIT_MODES)
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """The local server counting its limits either way (bot/sandbox/limits.py)."""
    with run_server(seed=7, limit_mode=request.param) as running:
        yield running


def subscribe_and_publish(sessions: sessionmaker[Session], subscribers: int) -> int:
    """The demo cases and `subscribers` chats (ids 1..N) following everything; publish one
    case. Returns how many deliveries were queued."""
    with sessions.begin() as session:
        demo.load(session, subscribers=subscribers)
    with sessions.begin() as session:
        return cases.publish(session, SYSTEM, REF).recipients


def publish_update(sessions: sessionmaker[Session], text: str = "New facts.") -> int:
    with sessions.begin() as session:
        return cases.further_information(session, SYSTEM, REF, text).recipients


def fast_config(**overrides: Any) -> DeliveryConfig:
    values: dict[str, Any] = {
        "batch_size": 20,
        "concurrency": 8,
        "retry": FAST_RETRIES,
        "poll_interval": 0.05,
    }
    return DeliveryConfig(**(values | overrides))


@asynccontextmanager
async def bot_for(server: RunningServer, concurrency: int = 8) -> AsyncIterator[Bot]:
    request = HTTPXRequest(connection_pool_size=concurrency + 1, read_timeout=10)
    async with Bot(TOKEN, base_url=server.base_url, request=request) as bot:
        yield bot


async def drain(
    engine: Engine,
    server: RunningServer,
    pacer: Pacer | None = None,
    config: DeliveryConfig | None = None,
    seconds: float = 60,
) -> Sender:
    """Run a sender until nothing is due (retries included), as `uabot worker --until-idle`."""
    config = config or fast_config()
    async with bot_for(server, config.concurrency) as bot:
        sender = Sender(engine, bot, pacer or Pacer(500, 1), config)
        await asyncio.wait_for(sender.run(until_idle=True), seconds)
    return sender


@dataclass
class Tally:
    """What the server says it delivered, per chat."""

    delivered: Counter[int] = field(default_factory=Counter)
    status: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, counters: dict[str, Any]) -> Tally:
        delivered = Counter({int(k): v for k, v in counters["delivered_by_chat"].items()})
        return cls(delivered, counters["status"])

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.delivered.values() if n > 1)

    def missing(self, chats: set[int], copies: int = 1) -> set[int]:
        return {chat for chat in chats if self.delivered[chat] < copies}


def tally(server: RunningServer) -> Tally:
    return Tally.of(server.control.counters())


def delivery_statuses(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        return {status: count for status, count in rows}


def chats_with_status(sessions: sessionmaker[Session], status: str) -> set[int]:
    with sessions() as session:
        return set(session.scalars(select(Subscriber.chat_id).where(Subscriber.status == status)))


def claimed_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.claimed_at.isnot(None))
            )
            or 0
        )
