"""Telegram's answers turned into outcomes, in this one place: no other module decides
whether an error is permanent, retried or a pause.

Forbidden → the subscriber blocked the bot (a deactivated account is gone); BadRequest "chat
not found" → gone; both permanent, never retried. RetryAfter → back in the queue after
`retry_after` (the sender has already paused everything). TimedOut, NetworkError, 5xx and
anything unrecognised → exponential backoff with jitter until the retry deadline, then
failed. Any other BadRequest → this message failed (the next alert may still go).
BadRequest subclasses NetworkError, so it is tested first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.delivery.limiter import retry_after_seconds
from bot.delivery.outbox import BLOCKED, FAILED, GONE, RETRY, Claimed, Outcome

GONE_MARKERS = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 2.0  # seconds before the second attempt
    cap: float = 300.0  # no wait longer than this
    deadline: float = 86_400.0  # seconds after publication; past it a message is given up

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Full jitter over the upper half, so retries of one burst spread out."""
        ceiling = min(self.cap, self.base * 2.0 ** max(0, attempts - 1))
        return ceiling * rng.uniform(0.5, 1.0)


def classify(
    row: Claimed,
    exc: TelegramError,
    *,
    now: datetime,
    published_at: datetime,
    policy: RetryPolicy,
    rng: random.Random,
) -> Outcome:
    error = _describe(exc)
    if isinstance(exc, RetryAfter):
        wait = timedelta(seconds=retry_after_seconds(exc))
        return Outcome(row.id, row.subscriber_id, RETRY, error=error, retry_at=now + wait)
    if isinstance(exc, Forbidden):
        kind = GONE if _is_gone(error) else BLOCKED
        return Outcome(row.id, row.subscriber_id, kind, error=error)
    if isinstance(exc, BadRequest):
        kind = GONE if _is_gone(error) else FAILED
        return Outcome(row.id, row.subscriber_id, kind, error=error)
    retry_at = now + timedelta(seconds=policy.delay(row.attempts, rng))
    if retry_at > published_at + timedelta(seconds=policy.deadline):
        return Outcome(
            row.id, row.subscriber_id, FAILED, error=f"gave up after {row.attempts}: {error}"
        )
    return Outcome(row.id, row.subscriber_id, RETRY, error=error, retry_at=retry_at)


def _describe(exc: TelegramError) -> str:
    return f"{type(exc).__name__}: {exc.message}"


def _is_gone(error: str) -> bool:
    lowered = error.lower()
    return any(marker in lowered for marker in GONE_MARKERS)
