"""A per-user flood guard: one person sending commands by the dozen is slowed, politely, once.

Updates are handled one at a time, so every command a flooder gets answered delays
everyone else's. Each user has a token bucket (BURST commands, then RATE a second); past
it, commands are dropped before any database or Telegram work, and the first dropped one
gets a single polite reply. The user is told again only after the bucket has refilled,
i.e. after they paused. Staff are never slowed: they are few, known, and at work; the
check that says so reads the database only for someone already past their burst.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from telegram import Update
from telegram.constants import ParseMode

from bot.domain.staff import actor_for
from bot.telegram.context import Context, services_of
from bot.texts import normalise_language, render

# A person reading replies sends a few commands a minute; the test suites, which do not
# read, send a few dozen in a row. 50 in a second is a flood.
BURST = 20.0
RATE = 5.0  # commands a second, once the burst is spent
STAFF_TTL = 60.0  # seconds a "this user is (not) staff" answer is trusted
MAX_USERS = 10_000  # buckets kept before full (idle) ones are forgotten


class Verdict(Enum):
    ADMIT = "admit"
    WARN = "warn"  # the first command refused in this flood: answer it politely
    DROP = "drop"


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False
    staff: bool | None = None
    staff_at: float = 0.0


class FloodGuard:
    """Token buckets by user id; `clock` is injectable so tests need not sleep."""

    def __init__(
        self,
        burst: float = BURST,
        rate: float = RATE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.rate = rate
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def check(self, user_id: int, is_staff: Callable[[], bool]) -> Verdict:
        now = self.clock()
        bucket = self._bucket(user_id, now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.ADMIT
        if bucket.staff is None or now - bucket.staff_at > STAFF_TTL:
            bucket.staff, bucket.staff_at = is_staff(), now
        if bucket.staff:
            return Verdict.ADMIT
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN

    def _bucket(self, user_id: int, now: float) -> _Bucket:
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= MAX_USERS:
                self._forget_idle(now)
            bucket = self._buckets[user_id] = _Bucket(self.burst, now)
            return bucket
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= self.burst:
            bucket.warned = False  # they paused: a new flood gets a new reply
        return bucket

    def _forget_idle(self, now: float) -> None:
        full = [
            uid
            for uid, b in self._buckets.items()
            if b.tokens + (now - b.at) * self.rate >= self.burst
        ]
        for uid in full:
            del self._buckets[uid]


def _guard(context: Context) -> FloodGuard:
    guard = context.bot_data.flood_guard
    if guard is None:
        guard = context.bot_data.flood_guard = FloodGuard()
    return guard


async def admit(update: Update, context: Context) -> bool:
    """True to go on with this command or button; False when the user is being slowed."""
    user = update.effective_user
    if user is None:
        return True

    def is_staff() -> bool:
        with services_of(context).sessions() as session:
            return actor_for(session, user.id).is_staff

    verdict = _guard(context).check(user.id, is_staff)
    if verdict is Verdict.ADMIT:
        return True
    if verdict is Verdict.WARN:
        lang = normalise_language(user.language_code)
        if update.callback_query is not None:
            await update.callback_query.answer(render("bot/slow_down.txt", lang))
        elif update.effective_chat is not None:
            await context.bot.send_message(
                update.effective_chat.id,
                render("bot/slow_down.html", lang),
                parse_mode=ParseMode.HTML,
            )
    return False
