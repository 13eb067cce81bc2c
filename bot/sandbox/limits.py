"""Token buckets for the local server's flood limits: one global, one per chat."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# A client pacing at exactly the limit sees its requests arrive a little early or late;
# a bucket that lends this much time's worth of tokens does not punish it for that.
JITTER_TOLERANCE = 0.05


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


@dataclass
class FloodLimiter:
    """The global bucket and one bucket per chat; `None` rate means no limit."""

    global_rate: float | None = None
    global_burst: int = 30
    per_chat_rate: float | None = None
    per_chat_burst: int = 1
    _global: TokenBucket | None = field(default=None, init=False)
    _chats: dict[int, TokenBucket] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.global_rate:
            self._global = TokenBucket(self.global_rate, self.global_burst)

    def _chat_bucket(self, chat_id: int) -> TokenBucket | None:
        if not self.per_chat_rate:
            return None
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = TokenBucket(self.per_chat_rate, self.per_chat_burst)
        return bucket

    def check(self, chat_id: int, now: float) -> int:
        """0 when a message to `chat_id` may go now, else Telegram's whole-second retry_after.

        The chat bucket is asked first so a refusal there spends no global token.
        """
        chat = self._chat_bucket(chat_id)
        if chat is not None:
            wait = chat.try_take(now)
            if wait:
                return _whole_seconds(wait)
        if self._global is not None:
            wait = self._global.try_take(now)
            if wait:
                if chat is not None:
                    chat.tokens += 1.0  # give back: the message was not sent
                return _whole_seconds(wait)
        return 0


def _whole_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
