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
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.config import Settings
from bot.delivery import outbox, pauses
from bot.delivery.limiter import Pacer
from bot.delivery.lock import SenderLock, make_lock
from bot.delivery.sender import DeliveryConfig, Sender, Wakeup
from bot.ops import HEALTH, TrackedRequest
from bot.runtime import off_loop
from bot.store.models import utcnow

log = logging.getLogger("uabot.delivery.worker")

TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
# Used against the local Bot API server when no TELEGRAM_TOKEN is set (the sandbox).
SANDBOX_TOKEN = "1000000:sandbox"  # noqa: S105 - not a secret: the local server takes any
# A send that has not been answered by then is retried (at-least-once: it may have landed).
READ_TIMEOUT = 10.0
CONNECT_RETRY = 5.0
PAUSE_CHECK = 1.0  # seconds between looks, after a long pause, for sends going through


class WorkerError(Exception):
    """The worker cannot go on (an invalid token): one line for the operator."""


def pacer_from_settings(settings: Settings) -> Pacer:
    return Pacer(
        settings.DELIVERY_GLOBAL_RATE or None,
        settings.DELIVERY_PER_CHAT_RATE or None,
        global_burst=settings.DELIVERY_GLOBAL_BURST,
        per_chat_burst=settings.DELIVERY_PER_CHAT_BURST,
        group_per_minute=settings.DELIVERY_GROUP_PER_MINUTE or None,
        guard=settings.DELIVERY_WINDOW_GUARD,
    )


def bot_endpoint(settings: Settings) -> tuple[str, str]:
    """(token, base_url): Telegram with a token; the local Bot API server without one."""
    if settings.TELEGRAM_TOKEN:
        return settings.TELEGRAM_TOKEN, settings.BOT_API_BASE_URL or TELEGRAM_BASE_URL
    local = f"http://{settings.SANDBOX_HOST}:{settings.SANDBOX_PORT}/bot"
    return SANDBOX_TOKEN, settings.BOT_API_BASE_URL or local


def bot_api_server_of(base_url: str) -> str:
    """The server part of a Bot API base URL ("https://api.telegram.org"), for people."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


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
    _sent_mark: int = 0

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
                if until_idle and not await off_loop(self._anything_due):
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.standby_interval)
        finally:
            HEALTH.sender = "stopped"

    async def _serve(self, lock: SenderLock, stop: asyncio.Event, until_idle: bool) -> None:
        released = await off_loop(self._release_stale)
        log.info("active sender (%d claims of a previous sender released)", released)
        kept = await off_loop(self._kept_pause)
        if kept:
            log.warning("Telegram asked for a pause that is not over: waiting %.0f s", kept)
            self.pacer.pause(kept)
        self.sender = Sender(self.engine, self.bot, self.pacer, self.config, wakeup=self.wakeup)
        long_pauses: asyncio.Queue[float] = asyncio.Queue()
        self.pacer.on_pause = lambda seconds: (
            long_pauses.put_nowait(seconds) if seconds >= pauses.LONG_PAUSE else None
        )
        halt = asyncio.Event()
        watcher = asyncio.create_task(_first_of(halt, stop.wait(), lock.lost()))
        keeper = asyncio.create_task(self._keep_pauses(long_pauses, kept is not None))
        try:
            await self.sender.run(halt, until_idle=until_idle)
        finally:
            self.pacer.on_pause = None
            for task in (watcher, keeper):
                task.cancel()
            await asyncio.gather(watcher, keeper, return_exceptions=True)
        if self.sender.fatal is not None:
            raise WorkerError(f"Telegram refused the token: {self.sender.fatal.message}")
        if not stop.is_set() and not until_idle:
            log.warning("lost the sender lock; standing by")

    async def _keep_pauses(self, long_pauses: asyncio.Queue[float], kept: bool) -> None:
        """Write each long pause down (staff told of one over five minutes); once sends go
        through again after it, forget it (staff told it ended)."""
        waiting = kept
        while True:
            if not waiting:
                seconds = await long_pauses.get()
                await off_loop(self._record_pause, seconds)
                waiting = True
            while not long_pauses.empty():
                await off_loop(self._record_pause, long_pauses.get_nowait())
            await asyncio.sleep(max(self.pacer.paused_for(), PAUSE_CHECK))
            if self.pacer.paused_for() == 0 and self._sent_since_pause():
                await off_loop(self._end_pause)
                waiting = False

    def _sent_since_pause(self) -> bool:
        sender = self.sender
        sent = sender.stats.outcomes.get("sent", 0) if sender else 0
        if sent > self._sent_mark:
            return True
        self._sent_mark = sent
        return False

    def _record_pause(self, seconds: float) -> None:
        if self.sender is not None:
            self._sent_mark = self.sender.stats.outcomes.get("sent", 0)
        with self.sessions.begin() as session:
            told = pauses.record(session, self._bot_id, seconds, utcnow())
        log.warning("Telegram asked for a pause of %.0f s; kept in the database", seconds)
        if told:
            log.warning("staff are told that broadcasts are paused")

    def _end_pause(self) -> None:
        with self.sessions.begin() as session:
            told = pauses.end(session, self._bot_id, utcnow())
        log.info("the pause Telegram asked for is over%s", "; staff are told" if told else "")

    def _kept_pause(self) -> float | None:
        with self.sessions() as session:
            return pauses.remaining(session, self._bot_id, utcnow())

    @property
    def _bot_id(self) -> int:
        return int(self.bot.token.split(":", 1)[0])  # a token is "<bot id>:<secret>"

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
