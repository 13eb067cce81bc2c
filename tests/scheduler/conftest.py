"""Scheduler tests: a real database (SQLite, PostgreSQL), a clock the test moves, and for the
end-to-end ones the bot, its outbox sender and the scheduler running as `uabot run` runs
them, against the local Bot API server. Nobody sleeps: the clock jumps, and `settle` waits
for two scheduler cycles and an empty outbox (each a few milliseconds)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.limiter import Pacer
from bot.delivery.sender import DeliveryConfig, Sender
from bot.delivery.worker import make_bot
from bot.domain import cases, staff, subscriptions
from bot.domain.cases import PersonInput, TargetInput
from bot.domain.staff import Actor
from bot.sandbox.local import RunningServer, run_server
from bot.schedule import Policy
from bot.scheduler import Scheduler, beside
from bot.store.models import Case, Delivery, Subscriber
from bot.telegram.app import build_application
from bot.telegram.thread import BotThread
from tests.clock import NOW

TOKEN = "123456:TEST-token"
COORDINATOR_ID = 901
COORDINATOR = Actor(user_id=COORDINATOR_ID, role="coordinator")
REF = "KZ-2026-001"
H = timedelta(hours=1)
# Every cycle re-reads the schedule; fast enough that settling takes milliseconds.
CYCLE = 0.03


class Clock:
    """The time every part of the running bot reads: the test sets it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with run_server() as running:
        yield running


def publish_case(
    sessions: sessionmaker[Session],
    clock: Clock,
    ref: str = REF,
    deadline_in: timedelta = timedelta(days=10),
) -> datetime:
    """A case created and published by the coordinator; returns its deadline."""
    deadline = clock() + deadline_in
    with sessions.begin() as session:
        if staff.actor_for(session, COORDINATOR_ID).role is None:
            staff.grant(session, staff.SYSTEM, COORDINATOR_ID, "coordinator")
        cases.create_case(
            session,
            COORDINATOR,
            ref=ref,
            title=f"Activist detained ({ref})",
            country="KZ",
            summary="An activist was detained after a peaceful protest.",
            themes=("detention",),
            deadline=deadline,
            now=clock(),
        )
        cases.add_person(session, COORDINATOR, ref, PersonInput(name="Aigerim Example"))
        cases.add_target(
            session,
            COORDINATOR,
            ref,
            TargetInput(title="Prosecutor General", name="Demo Prosecutor", country="KZ"),
        )
        cases.publish(session, COORDINATOR, ref, now=clock())
    return deadline


def follow_all(sessions: sessionmaker[Session], *chat_ids: int, mode: str = "immediate") -> None:
    with sessions.begin() as session:
        for chat_id in chat_ids:
            subscriptions.follow(session, chat_id, "all")
            subscriptions.set_mode(session, chat_id, mode)


def deadline_of(sessions: sessionmaker[Session], ref: str = REF) -> datetime:
    with sessions() as session:
        return session.scalars(select(Case.deadline).where(Case.ref == ref)).one()


async def run_beside_bot(
    engine: Engine,
    server: RunningServer,
    clock: Clock,
    scheduler: Scheduler,
    stop: asyncio.Event,
) -> None:
    """What `uabot run` runs beside the bot (cli/run.py `_deliver`), with the test's clock:
    the outbox sender (a Sender, which takes a clock, where run.py's Worker adds the lock)
    and the scheduler, through the same `beside`."""
    bot = make_bot(TOKEN, server.base_url, 4)
    async with bot:
        sender = Sender(
            engine, bot, Pacer(None, None), DeliveryConfig(poll_interval=0.02), clock=clock
        )
        await beside(sender.run(stop), scheduler, stop)


class Live:
    """The bot with its sender and scheduler; stopped and started again like a process."""

    def __init__(
        self,
        engine: Engine,
        sessions: sessionmaker[Session],
        server: RunningServer,
        clock: Clock,
    ):
        self.engine = engine
        self.sessions = sessions
        self.server = server
        self.clock = clock
        self.scheduler: Scheduler | None = None
        self.thread: BotThread | None = None

    def start(self) -> None:
        self.scheduler = Scheduler(self.sessions, Policy(), clock=self.clock, interval=CYCLE)
        application = build_application(
            TOKEN,
            self.sessions,
            base_url=self.server.base_url,
            clock=self.clock,
            background=partial(
                run_beside_bot, self.engine, self.server, self.clock, self.scheduler
            ),
        )
        self.thread = BotThread(application).__enter__()

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.__exit__(None, None, None)
            self.thread = None

    def settle(self, timeout: float = 10.0) -> None:
        """Return once a whole cycle has run at the clock's time and the outbox is empty."""
        assert self.scheduler is not None
        start = self.scheduler.stats["cycles"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.scheduler.stats["cycles"] >= start + 2 and not self._pending():
                return
            time.sleep(0.01)
        raise AssertionError("the scheduler or the outbox did not settle")

    def _pending(self) -> int:
        with self.sessions() as session:
            return (
                session.scalar(
                    select(func.count()).select_from(Delivery).where(Delivery.status == "pending")
                )
                or 0
            )

    def received(self, chat_id: int, marker: str = "") -> list[dict[str, Any]]:
        """The bot's messages in the chat whose text contains `marker`."""
        return [
            m
            for m in self.server.control.messages(chat_id)
            if marker in (m.get("plain_text") or m.get("text") or "")
        ]


@pytest.fixture
def live(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer, clock: Clock
) -> Iterator[Live]:
    running = Live(engine, sessions, server, clock)
    yield running
    running.stop()


def delivery_statuses(sessions: sessionmaker[Session], chat_id: int) -> dict[str, int]:
    """How many of the chat's deliveries are in each status."""
    with sessions() as session:
        rows = session.execute(
            select(Delivery.status, func.count())
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Subscriber.chat_id == chat_id)
            .group_by(Delivery.status)
        )
        return dict(rows.all())
