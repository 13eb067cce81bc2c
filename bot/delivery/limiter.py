"""Pacing under Telegram's flood limits, shared by broadcasts and interactive replies.

One `Pacer` per bot token and process: a global token bucket (default 30 messages a second)
and one bucket per chat (default 1 a second). Waiters for the global bucket queue by
priority, so a reply to a person overtakes the broadcast backlog instead of waiting behind
it. A 429 pauses every send for `retry_after` (Telegram counts the whole bot, not one chat)
and halves the pace, which then climbs back slowly: a server whose limit is lower than ours
draws a handful of 429s, not one per message.

`SharedRateLimiter` plugs the same pacer into python-telegram-bot, for the reply path:
`Application.builder().rate_limiter(SharedRateLimiter(pacer))`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot import metrics

log = logging.getLogger("uabot.delivery.limiter")

REPLY = 0
BROADCAST = 1

# Telegram's retry_after is in whole seconds and the server's clock is not ours.
PAUSE_MARGIN = 0.1
SLOWDOWN_FACTOR = 0.5
MIN_RATE = 1.0
# After this long without a 429, the pace climbs back by RECOVERY_STEP of the configured rate.
RECOVERY_INTERVAL = 30.0
RECOVERY_STEP = 0.1
# Idle chat buckets are forgotten past this many; a full bucket holds nothing worth keeping.
MAX_CHAT_BUCKETS = 4096
# A sleep of exactly the computed delay must find the token there despite float rounding.
EPSILON = 1e-9

Clock = Callable[[], float]


@dataclass
class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; one token per message."""

    rate: float
    burst: float
    tokens: float = field(init=False)
    updated: float = field(default=float("-inf"))

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def delay(self, now: float) -> float:
        """Seconds until a token is there; 0 when one is there now."""
        self._refill(now)
        if self.tokens >= 1.0 - EPSILON and now >= self.updated:
            return 0.0
        return max(0.0, self.updated - now) + max(0.0, 1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def empty_until(self, when: float) -> None:
        """Hold no tokens and gain none before `when` (the end of a pause): no burst after it."""
        self.tokens = 0.0
        self.updated = max(self.updated, when)

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


@dataclass
class _ChatTurn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


@dataclass
class PacerStats:
    granted: int = 0
    retry_afters: int = 0
    slowdowns: int = 0


class Pacer:
    """Grants sends: per chat first, then the shared global budget, replies before broadcasts.

    `global_rate=None` means no global limit (benchmarks, raised limits in tests); a 429
    still pauses everything.
    """

    def __init__(
        self,
        global_rate: float | None = 30.0,
        per_chat_rate: float | None = 1.0,
        *,
        global_burst: float = 3,
        per_chat_burst: float = 1,
        clock: Clock = time.monotonic,
    ) -> None:
        self.configured_rate = global_rate
        self._global = TokenBucket(global_rate, global_burst) if global_rate else None
        self._per_chat_rate = per_chat_rate
        self._per_chat_burst = per_chat_burst
        self._chats: dict[Hashable, TokenBucket] = {}
        self._turns: dict[Hashable, _ChatTurn] = {}
        self._clock = clock
        self._paused_until = float("-inf")
        self._slowed_at = float("-inf")  # the last slowdown: older sends' 429s are not news
        self._calm_since = float("-inf")  # the last slowdown or recovery step
        self._waiters: list[tuple[int, int, asyncio.Future[float]]] = []
        self._seq = itertools.count()
        self._pump_task: asyncio.Task[None] | None = None
        self.stats = PacerStats()

    @property
    def rate(self) -> float | None:
        return self._global.rate if self._global else None

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def chat_delay(self, chat: Hashable) -> float:
        """Seconds before `chat` may receive another message (0: now)."""
        bucket = self._chats.get(chat)
        return bucket.delay(self._clock()) if bucket else 0.0

    async def acquire(self, chat: Hashable | None, priority: int = BROADCAST) -> float:
        """Wait for this chat's turn and a global token; return when it was granted."""
        if chat is None:
            granted = await self._acquire_global(priority)
        else:
            # One waiter per chat at a time: two that both saw the chat free would both send.
            turn = self._turns.setdefault(chat, _ChatTurn())
            turn.users += 1
            try:
                async with turn.lock:
                    # Nobody else takes this chat's token while we hold its turn: one sleep.
                    if (wait := self.chat_delay(chat)) > 0:
                        await asyncio.sleep(wait)
                    granted = await self._acquire_global(priority)
                    self._chat_bucket(chat).take(granted)
            finally:
                turn.users -= 1
                if not turn.users:
                    del self._turns[chat]
        self.stats.granted += 1
        return granted

    def try_acquire(self, chat: Hashable, priority: int = BROADCAST) -> float | None:
        """Grant at once if the chat and the global budget allow it now, else None."""
        now = self._clock()
        if chat in self._turns or self.chat_delay(chat) > 0:
            return None
        if self._waiters or self._global_delay(now) > 0:
            return None
        if self._global is not None:
            self._global.take(now)
        self._chat_bucket(chat).take(now)
        self.stats.granted += 1
        return now

    def retry_after(self, seconds: float, granted_at: float) -> None:
        """A 429 came back for a send granted at `granted_at`: pause all sends, slow down."""
        now = self._clock()
        self.stats.retry_afters += 1
        metrics.TELEGRAM_429.inc()
        self._paused_until = max(self._paused_until, now + seconds + PAUSE_MARGIN)
        if self._global is not None:
            self._global.empty_until(self._paused_until)
        # Sends already in flight when we slowed down answer 429 too; they say nothing new.
        if granted_at >= self._slowed_at:
            self._slow_down(now)
        log.warning("429: all sends paused for %.1f s; pace now %s/s", seconds, self.rate)

    def _slow_down(self, now: float) -> None:
        self._slowed_at = self._calm_since = now
        self.stats.slowdowns += 1
        if self._global is not None:
            self._global.rate = max(MIN_RATE, self._global.rate * SLOWDOWN_FACTOR)

    def _recover(self, now: float) -> None:
        bucket, target = self._global, self.configured_rate
        if bucket is None or target is None or bucket.rate >= target:
            return
        if now - max(self._calm_since, self._paused_until) >= RECOVERY_INTERVAL:
            bucket.rate = min(target, bucket.rate + target * RECOVERY_STEP)
            self._calm_since = now

    def _chat_bucket(self, chat: Hashable) -> TokenBucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) >= MAX_CHAT_BUCKETS:
                self._forget_idle_chats()
            rate = self._per_chat_rate or float("inf")
            bucket = self._chats[chat] = TokenBucket(rate, self._per_chat_burst)
        return bucket

    def _forget_idle_chats(self) -> None:
        now = self._clock()
        for chat in [c for c, b in self._chats.items() if b.is_full(now)]:
            del self._chats[chat]

    def _global_delay(self, now: float) -> float:
        self._recover(now)
        pause = self._paused_until - now
        bucket = self._global.delay(now) if self._global else 0.0
        return max(pause, bucket, 0.0)

    async def _acquire_global(self, priority: int) -> float:
        now = self._clock()
        if not self._waiters and self._global_delay(now) == 0:
            if self._global is not None:
                self._global.take(now)
            return now
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), future))
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.create_task(self._pump(), name="pacer-pump")
        try:
            return await future
        except asyncio.CancelledError:
            self._forget(future)
            raise

    def _forget(self, future: asyncio.Future[float]) -> None:
        """A waiter was cancelled (its sender is stopping): out of the queue, and no pump
        left sleeping for nobody when the event loop closes."""
        self._waiters = [waiter for waiter in self._waiters if waiter[2] is not future]
        heapq.heapify(self._waiters)
        if not self._waiters and self._pump_task is not None:
            self._pump_task.cancel()

    async def _pump(self) -> None:
        """Hand out global tokens as they come, always to the most urgent waiter."""
        while self._waiters:
            now = self._clock()
            wait = self._global_delay(now)
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            _, _, future = heapq.heappop(self._waiters)
            if future.done():  # its caller was cancelled
                continue
            if self._global is not None:
                self._global.take(now)
            future.set_result(now)


def retry_after_seconds(exc: RetryAfter) -> float:
    return exc._retry_after.total_seconds()  # the public attribute is deprecated as int


class SharedRateLimiter(BaseRateLimiter[int]):
    """python-telegram-bot's hook into the shared pacer, for the bot's own replies.

    Requests that name a chat are paced at REPLY priority (pass `rate_limit_args=BROADCAST`
    to queue behind replies); others (getUpdates, answerCallbackQuery) go at once. A 429
    pauses the shared pacer, then the request is tried again, up to `max_retries` times.
    """

    def __init__(self, pacer: Pacer, max_retries: int = 2) -> None:
        self.pacer = pacer
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up: the pacer lives as long as the process."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        if chat is None:
            return await callback(*args, **kwargs)
        priority = REPLY if rate_limit_args is None else rate_limit_args
        for attempt in range(self.max_retries + 1):
            granted = await self.pacer.acquire(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.pacer.retry_after(retry_after_seconds(exc), granted)
                if attempt == self.max_retries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
