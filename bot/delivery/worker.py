"""The delivery worker: stand by until this process holds the per-token lock, then send.

`uabot worker` runs it alone; `uabot run` can run it beside the bot front in one process, on
the same Pacer as the front's replies (`SharedRateLimiter`). On taking over, the new active
sender releases the claims the previous one left (it is gone: the lock says so) and goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.config import Settings
from bot.delivery import outbox
from bot.delivery.limiter import Pacer
from bot.delivery.lock import SenderLock, make_lock
from bot.delivery.sender import DeliveryConfig, Sender, Wakeup
from bot.ops import HEALTH, TrackedRequest
from bot.store.models import utcnow

log = logging.getLogger("uabot.delivery.worker")

TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
# Used against the local Bot API server when no TELEGRAM_TOKEN is set (the sandbox).
SANDBOX_TOKEN = "1000000:sandbox"  # noqa: S105 - not a secret: the local server takes any
# A send that has not been answered by then is retried (at-least-once: it may have landed).
READ_TIMEOUT = 10.0
CONNECT_RETRY = 5.0


class WorkerError(Exception):
    """The worker cannot go on (an invalid token): one line for the operator."""


def pacer_from_settings(settings: Settings) -> Pacer:
    return Pacer(
        settings.DELIVERY_GLOBAL_RATE or None,
        settings.DELIVERY_PER_CHAT_RATE or None,
        global_burst=settings.DELIVERY_GLOBAL_BURST,
        per_chat_burst=settings.DELIVERY_PER_CHAT_BURST,
    )


def bot_endpoint(settings: Settings) -> tuple[str, str]:
    """(token, base_url): Telegram with a token; the local Bot API server without one."""
    if settings.TELEGRAM_TOKEN:
        return settings.TELEGRAM_TOKEN, settings.BOT_API_BASE_URL or TELEGRAM_BASE_URL
    local = f"http://{settings.SANDBOX_HOST}:{settings.SANDBOX_PORT}/bot"
    return SANDBOX_TOKEN, settings.BOT_API_BASE_URL or local


def make_bot(token: str, base_url: str, concurrency: int) -> Bot:
    """A plain Bot (no rate limiter of PTB's: the sender paces itself) with one connection
    per concurrent send."""
    request = TrackedRequest(
        connection_pool_size=concurrency + 1, read_timeout=READ_TIMEOUT, pool_timeout=READ_TIMEOUT
    )
    return Bot(token, base_url=base_url, request=request)


async def connect(bot: Bot, stop: asyncio.Event) -> bool:
    """Check the token with getMe, waiting out a Telegram that does not answer yet.

    False if stopped first; an invalid token is a WorkerError at once.
    """
    while not stop.is_set():
        try:
            await bot.initialize()
            HEALTH.telegram_ok()
            return True
        except InvalidToken as exc:
            raise WorkerError(f"Telegram refused the token: {exc.message}") from None
        except NetworkError as exc:
            log.warning("Bot API not reachable (%s); trying again", exc.message)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CONNECT_RETRY)
    return False


@dataclass
class Worker:
    sessions: sessionmaker[Session]
    engine: Engine
    bot: Bot
    pacer: Pacer
    config: DeliveryConfig = field(default_factory=DeliveryConfig)
    standby_interval: float = 1.0
    wakeup: Wakeup = field(default_factory=Wakeup)
    lock: SenderLock | None = None
    sender: Sender | None = None

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> None:
        """Stand by, send while active, until `stop` (or, with `until_idle`, nothing is due)."""
        self.lock = self.lock or make_lock(self.engine, self.bot.token, self.wakeup.poke)
        try:
            while not stop.is_set():
                if await self.lock.try_acquire():
                    HEALTH.sender = "active"
                    try:
                        await self._serve(self.lock, stop, until_idle)
                    finally:
                        await self.lock.release()
                    if until_idle:
                        return
                    continue
                HEALTH.sender = "standby"
                if until_idle and not await asyncio.to_thread(self._anything_due):
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.standby_interval)
        finally:
            HEALTH.sender = "stopped"

    async def _serve(self, lock: SenderLock, stop: asyncio.Event, until_idle: bool) -> None:
        released = await asyncio.to_thread(self._release_stale)
        log.info("active sender (%d claims of a previous sender released)", released)
        self.sender = Sender(self.engine, self.bot, self.pacer, self.config, wakeup=self.wakeup)
        halt = asyncio.Event()
        watcher = asyncio.create_task(_first_of(halt, stop.wait(), lock.lost()))
        try:
            await self.sender.run(halt, until_idle=until_idle)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        if self.sender.fatal is not None:
            raise WorkerError(f"Telegram refused the token: {self.sender.fatal.message}")
        if not stop.is_set() and not until_idle:
            log.warning("lost the sender lock; standing by")

    def _release_stale(self) -> int:
        with self.sessions.begin() as session:
            return outbox.release_stale(session)

    def _anything_due(self) -> bool:
        with self.sessions() as session:
            return outbox.has_due(session, utcnow())


async def _first_of(done: asyncio.Event, *waits: Awaitable[object]) -> None:
    """Set `done` when the first of `waits` finishes."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        done.set()
    finally:
        for task in tasks:
            task.cancel()
