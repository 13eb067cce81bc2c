"""Pacing under Telegram's flood limits, shared by broadcasts and interactive replies.

One `Pacer` per bot token and process. Telegram does not say how it counts its limits, so
the pacer keeps them however they are counted: it never lets more than the limit start in
*any* window of the limit's length (30 in any second; 1 in any second to one chat; 20 in
any minute to a group), counting each send from the moment its answer came back (the
latest it can have reached the server) plus a small guard; a token bucket spaces the sends
inside the window (`global_burst` back to back at most), so there is no burst at start-up or
after a pause either.

Waiters for the global budget queue by priority, so a reply to a person overtakes the
broadcast backlog instead of waiting behind it. A 429 pauses every send for `retry_after`
(Telegram counts the whole bot, not one chat) and sets the pace a little below what the
server took in the second before; two seconds after sends succeed again the pace climbs back
to the configured rate (a quarter of it a second). When 429s keep coming, it climbs back only
to the pace the server took and probes above it every few seconds: a limit lowered for a
while costs a handful of 429s, and one that stays lower is kept to, not hammered.

`SharedRateLimiter` plugs the same pacer into python-telegram-bot, for the reply path:
`Application.builder().rate_limiter(SharedRateLimiter(pacer))`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from collections import deque
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
# Every window is kept this much longer than the limit's. A send is counted from its answer
# (Pacer.answered), which no server's stamp of it can come after; this only covers the
# clocks' granularity and rate.
WINDOW_GUARD = 0.002
# A 429 when the server had taken all the window allows says it counts more tightly than the
# guard covers: the guard grows by a step, up to the most.
GUARD_STEP = 0.02
MAX_WINDOW_GUARD = 0.1
GUARD_MEMORY = 600.0  # seconds without a 429 after which the configured guard is back
GROUP_WINDOW = 60.0  # Telegram's "20 messages per minute to the same group"
# After a 429: this share of what the server took in the second before it.
BACKOFF_SHARE = 0.9
MIN_RATE = 1.0
# Sends succeeding for this long after a pause, the pace climbs by CLIMB_SHARE of the
# configured rate a second, back to it (or to the next 429).
CLIMB_AFTER = 2.0
CLIMB_SHARE = 0.25
# A 429 within this long of the last one says the limit really is lower: the pace climbs
# back only to where the server refused it, and probes above it after PROBE_AFTER more.
STRIKE_MEMORY = 30.0
PROBE_AFTER = 5.0
# Idle chats are forgotten past this many; a chat with no recent send holds nothing.
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


@dataclass
class SlidingWindow:
    """At most `limit` grants in any `length` seconds (kept `guard` seconds longer)."""

    limit: int
    length: float
    guard: float = WINDOW_GUARD
    grants: deque[float] = field(default_factory=deque)

    @property
    def span(self) -> float:
        return self.length + self.guard

    def _forget(self, now: float) -> None:
        # Kept two windows long: a 429 asks how many went in the window before its send.
        while self.grants and self.grants[0] <= now - 2 * self.span:
            self.grants.popleft()

    def delay(self, now: float) -> float:
        """Seconds until one more grant keeps every window within the limit; 0: now."""
        self._forget(now)
        if len(self.grants) < self.limit:
            return 0.0
        # The limit-th latest grant must have left the window (a lowered limit may leave
        # more than `limit` in it).
        return max(0.0, self.grants[-self.limit] + self.span - now + EPSILON)

    def take(self, now: float) -> None:
        self.grants.append(now)

    def restamp(self, granted: float, now: float) -> None:
        """The grant of `granted` only started now: count it from now."""
        try:
            self.grants.remove(granted)
        except ValueError:
            return  # long forgotten
        self.grants.append(now)

    def count_between(self, after: float, before: float) -> int:
        return sum(1 for granted in self.grants if after < granted < before)

    def is_empty(self, now: float) -> bool:
        self._forget(now)
        return not self.grants or self.grants[-1] <= now - self.span


@dataclass
class _ChatPace:
    """One chat's windows: `burst` in `burst / rate` seconds; a group's minute too."""

    windows: list[SlidingWindow]

    def delay(self, now: float) -> float:
        return max((w.delay(now) for w in self.windows), default=0.0)

    def take(self, now: float) -> None:
        for window in self.windows:
            window.take(now)

    def restamp(self, granted: float, now: float) -> None:
        for window in self.windows:
            window.restamp(granted, now)

    def is_idle(self, now: float) -> bool:
        return all(window.is_empty(now) for window in self.windows)


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

    `global_rate=None` means no global limit, `per_chat_rate=None` no limit per chat, a
    group's minute included (benchmarks, raised limits in tests); a 429 still pauses
    everything. `on_pause(seconds)` hears of every pause a 429 starts (the
    worker keeps long ones in the database).
    """

    def __init__(
        self,
        global_rate: float | None = 30.0,
        per_chat_rate: float | None = 1.0,
        *,
        global_burst: float = 3,
        per_chat_burst: float = 1,
        group_per_minute: int | None = 20,
        window: float = 1.0,
        guard: float = WINDOW_GUARD,
        clock: Clock = time.monotonic,
        on_pause: Callable[[float], None] | None = None,
    ) -> None:
        self.configured_rate = global_rate
        self._rate = global_rate
        self._window_length = window
        self._guard = self._configured_guard = guard
        self._bucket = TokenBucket(global_rate, global_burst) if global_rate else None
        self._window = SlidingWindow(_count(global_rate, window), window, guard)
        self._per_chat_rate = per_chat_rate
        self._per_chat_burst = max(1, math.floor(per_chat_burst))
        self._group_per_minute = group_per_minute
        self._chats: dict[Hashable, _ChatPace] = {}
        self._turns: dict[Hashable, _ChatTurn] = {}
        self._clock = clock
        self.on_pause = on_pause
        self._paused_until = float("-inf")
        self._slowed_at = float("-inf")  # the last slowdown: older sends' 429s are not news
        self._floor = global_rate  # the pace set by the last slowdown
        self._ceiling: float | None = None  # the pace the server took before that 429
        self._strikes = 0  # slowdowns in a row, each within STRIKE_MEMORY of the one before
        self._waiters: list[tuple[int, int, asyncio.Future[float]]] = []
        self._seq = itertools.count()
        self._pump_task: asyncio.Task[None] | None = None
        self.stats = PacerStats()

    @property
    def rate(self) -> float | None:
        """The global pace now (messages a second); None: no global limit."""
        self._recover(self._clock())
        return self._rate

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def chat_delay(self, chat: Hashable) -> float:
        """Seconds before `chat` may receive another message (0: now)."""
        pace = self._chats.get(chat)
        return pace.delay(self._clock()) if pace else 0.0

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
                    # Nobody else takes this chat's turn while we hold it: one sleep.
                    if (wait := self.chat_delay(chat)) > 0:
                        await asyncio.sleep(wait)
                    granted = await self._acquire_global(priority)
                    self._chat_pace(chat).take(granted)
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
        self._take_global(now)
        self._chat_pace(chat).take(now)
        self.stats.granted += 1
        return now

    def answered(self, chat: Hashable | None, granted: float) -> None:
        """The send granted at `granted` has its answer now, so it reached the server at
        some time up to now: the windows count it from now. Then no latency on its way
        (our event loop, the network, the server's own queue) can bring it within a window
        of the sends granted after it, however the server stamps its arrival."""
        now = self._clock()
        if now <= granted:
            return
        if self._bucket is not None:
            self._window.restamp(granted, now)
        pace = self._chats.get(chat) if chat is not None else None
        if pace is not None:
            pace.restamp(granted, now)

    @property
    def guard(self) -> float:
        return self._window.guard

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (a pause kept from before a restart, or a 429's)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        if self._bucket is not None:
            self._bucket.empty_until(self._paused_until)

    def retry_after(self, seconds: float, granted_at: float) -> None:
        """A 429 came back for a send granted at `granted_at`: pause all sends, slow down."""
        now = self._clock()
        self.stats.retry_afters += 1
        metrics.TELEGRAM_429.inc()
        self.pause(seconds + PAUSE_MARGIN)
        # Sends already in flight when we slowed down answer 429 too; they say nothing new.
        if granted_at > self._slowed_at:
            self._slow_down(now, granted_at)
        if self.on_pause is not None:
            self.on_pause(seconds)
        log.warning("429: all sends paused for %.1f s; pace now %s/s", seconds, self._rate)

    def _slow_down(self, now: float, granted_at: float) -> None:
        """Just under what the server took in the window before the refused send: its limit
        as well as we can tell (or less, if we were sending less)."""
        self._strikes = self._strikes + 1 if now - self._slowed_at < STRIKE_MEMORY else 1
        self._slowed_at = now
        self.stats.slowdowns += 1
        if self._rate is None:
            return
        taken = self._window.count_between(granted_at - self._window_length, granted_at)
        at_full_pace = self.configured_rate is not None and self._rate >= self.configured_rate
        if at_full_pace and taken >= self._window.limit - 1:
            # Refused at the configured pace when the server had taken all that our window
            # allows: it counts more tightly than we guard against (or its limit has just
            # dropped, which the next 429 will tell). A wider guard, the same pace.
            self._widen_guard()
            self._ceiling = self._floor = self._rate
            return
        self._ceiling = max(MIN_RATE, min(self._rate, taken / self._window_length))
        self._floor = max(MIN_RATE, self._ceiling * BACKOFF_SHARE)
        self._set_rate(self._floor)

    def _recover(self, now: float) -> None:
        """Climb back from the last slowdown's pace once sends have gone on for a while: to
        the configured rate, or, when 429s keep coming, to the server's limit and, a few
        seconds later, above it to see whether it has risen again."""
        if self._window.guard > self._configured_guard and now - self._slowed_at > GUARD_MEMORY:
            self._set_guard(self._configured_guard)
        target, floor, rate = self.configured_rate, self._floor, self._rate
        if target is None or floor is None or rate is None or rate >= target:
            return
        calm = now - max(self._slowed_at, self._paused_until) - CLIMB_AFTER
        if calm <= 0:
            return
        step = target * CLIMB_SHARE
        climbed = floor + step * calm
        if self._strikes >= 2 and self._ceiling is not None:
            climbed = min(climbed, self._ceiling + step * max(0.0, calm - PROBE_AFTER))
        self._set_rate(min(target, climbed))

    def _widen_guard(self) -> None:
        self._set_guard(min(MAX_WINDOW_GUARD, self._window.guard + GUARD_STEP))

    def _set_guard(self, guard: float) -> None:
        self._window.guard = guard
        for pace in self._chats.values():
            for window in pace.windows:
                window.guard = guard
        self._guard = guard

    def _set_rate(self, rate: float) -> None:
        self._rate = rate
        if self._bucket is not None:
            self._bucket.rate = rate
        self._window.limit = _count(rate, self._window_length)

    def _chat_pace(self, chat: Hashable) -> _ChatPace:
        pace = self._chats.get(chat)
        if pace is None:
            if len(self._chats) >= MAX_CHAT_BUCKETS:
                self._forget_idle_chats()
            windows = []
            if self._per_chat_rate:
                length = self._per_chat_burst / self._per_chat_rate
                windows.append(SlidingWindow(self._per_chat_burst, length, self._guard))
            # No per-chat rate means no per-chat limit of any kind (tests, raised limits).
            group = isinstance(chat, int) and chat < 0
            if self._per_chat_rate and self._group_per_minute and group:
                windows.append(SlidingWindow(self._group_per_minute, GROUP_WINDOW, self._guard))
            pace = self._chats[chat] = _ChatPace(windows)
        return pace

    def _forget_idle_chats(self) -> None:
        now = self._clock()
        for chat in [c for c, pace in self._chats.items() if pace.is_idle(now)]:
            del self._chats[chat]

    def _global_delay(self, now: float) -> float:
        self._recover(now)
        delays = [self._paused_until - now, 0.0]
        if self._bucket is not None:
            delays += [self._bucket.delay(now), self._window.delay(now)]
        return max(delays)

    def _take_global(self, now: float) -> None:
        if self._bucket is not None:
            self._bucket.take(now)
            self._window.take(now)

    async def _acquire_global(self, priority: int) -> float:
        now = self._clock()
        if not self._waiters and self._global_delay(now) == 0:
            self._take_global(now)
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
            self._take_global(now)
            future.set_result(now)


def _count(rate: float | None, window: float) -> int:
    """How many sends one window holds at `rate` (rounded down: never above it)."""
    return max(1, math.floor((rate or 0.0) * window + EPSILON))


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
            finally:
                self.pacer.answered(chat, granted)
        raise AssertionError("unreachable")  # pragma: no cover
