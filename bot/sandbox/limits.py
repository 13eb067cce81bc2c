"""The local server's flood limits, one global and one per chat, in two modes.

Telegram documents the numbers it asks bots to keep to (about 30 messages a second over
all chats, one a second in a chat, 20 a minute in a group) but not how it counts them.

- `lenient` counts with token buckets that lend a burst and a little credit for network
  jitter: a client pacing at the limit is never refused.
- `strict` is the strictest reasonable reading: at most that many messages in *any* window
  of that length (a one-second window for the global and the per-chat limit, a minute for
  a group), by the times the requests arrive here. A client that bursts at start-up, after
  a pause or at a chat it has not written to for a while is refused.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, Protocol

# A client pacing at exactly the limit sees its requests arrive a little early or late;
# a bucket that lends this much time's worth of tokens does not punish it for that.
JITTER_TOLERANCE = 0.05
GROUP_WINDOW = 60.0  # seconds: Telegram's "20 messages per minute to the same group"
LENIENT: Literal["lenient"] = "lenient"
STRICT: Literal["strict"] = "strict"
LIMIT_MODES = (LENIENT, STRICT)
LimitMode = Literal["lenient", "strict"]


class Counter(Protocol):
    def try_take(self, now: float) -> float:
        """Count a message and return 0, or return the seconds until one may go."""

    def give_back(self) -> None:
        """Uncount the last message taken (it was refused by another limit)."""


@dataclass
class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; one token per message."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)
    tolerance: float = JITTER_TOLERANCE

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def _refill(self, now: float) -> None:
        if self.updated is not None:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def try_take(self, now: float) -> float:
        """Take a token and return 0, or return the seconds until one would be available."""
        self._refill(now)
        # The debt allowed (tokens may dip below zero by this much) is the jitter credit.
        credit = self.rate * self.tolerance
        if self.tokens + credit >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - credit - self.tokens) / self.rate

    def give_back(self) -> None:
        self.tokens += 1.0


@dataclass
class SlidingWindow:
    """At most `limit` messages in any `window` seconds, by their arrival times."""

    limit: int
    window: float
    arrivals: deque[float] = field(default_factory=deque, init=False)

    def try_take(self, now: float) -> float:
        while self.arrivals and self.arrivals[0] <= now - self.window:
            self.arrivals.popleft()
        if len(self.arrivals) >= self.limit:
            # Free once the oldest arrival in the window has left it.
            return self.arrivals[0] + self.window - now
        self.arrivals.append(now)
        return 0.0

    def give_back(self) -> None:
        self.arrivals.pop()


def strict_window(rate: float) -> SlidingWindow:
    """`rate` a second as a count in a window: 30/s is 30 in any second, 0.5/s 1 in any 2 s."""
    limit = max(1, round(rate))
    return SlidingWindow(limit, limit / rate)


@dataclass
class FloodLimiter:
    """The global counter and one or two per chat; a `None` rate means no limit."""

    global_rate: float | None = None
    global_burst: int = 30
    per_chat_rate: float | None = None
    per_chat_burst: int = 1
    group_per_minute: int | None = None
    mode: LimitMode = LENIENT
    _global: Counter | None = field(default=None, init=False)
    _chats: dict[int, list[Counter]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.global_rate:
            self._global = self._counter(self.global_rate, self.global_burst)

    def _counter(self, rate: float, burst: int) -> Counter:
        if self.mode == STRICT:
            return strict_window(rate)
        return TokenBucket(rate, burst)

    def _chat_counters(self, chat_id: int) -> list[Counter]:
        counters = self._chats.get(chat_id)
        if counters is None:
            counters = self._chats[chat_id] = []
            if self.per_chat_rate:
                counters.append(self._counter(self.per_chat_rate, self.per_chat_burst))
            if self.group_per_minute and chat_id < 0:  # groups and supergroups
                counters.append(self._group_counter(self.group_per_minute))
        return counters

    def _group_counter(self, per_minute: int) -> Counter:
        if self.mode == STRICT:
            return SlidingWindow(per_minute, GROUP_WINDOW)
        return TokenBucket(per_minute / GROUP_WINDOW, per_minute)

    def check(self, chat_id: int, now: float) -> int:
        """0 when a message to `chat_id` may go now, else Telegram's whole-second retry_after.

        The chat's counters are asked first so a refusal there spends no global token; a
        message refused is not counted anywhere.
        """
        taken: list[Counter] = []
        for counter in [*self._chat_counters(chat_id), *filter(None, [self._global])]:
            wait = counter.try_take(now)
            if wait:
                for earlier in taken:
                    earlier.give_back()  # the message was not sent
                return _whole_seconds(wait)
            taken.append(counter)
        return 0


def _whole_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
