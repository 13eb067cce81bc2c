"""The pacer: global and per-chat buckets, replies ahead of broadcasts, a 429 pauses all."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time
from collections.abc import Iterator

import pytest
from telegram.ext import ExtBot

from bot.delivery.limiter import (
    BROADCAST,
    CLIMB_AFTER,
    GUARD_STEP,
    REPLY,
    WINDOW_GUARD,
    Pacer,
    SharedRateLimiter,
    TokenBucket,
)
from bot.sandbox.local import RunningServer
from tests.delivery.conftest import TOKEN

STEP = 0.001  # the fake clock's tick: a sender that asks again a millisecond later


class Clock:
    """A clock the test moves; `grants` asks the pacer every tick, as a busy sender would."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def grants(self, pacer: Pacer, count: int, chats: Iterator[int] | None = None) -> list[float]:
        chats = chats or itertools.count(1)
        chat = next(chats)
        granted: list[float] = []
        while len(granted) < count:
            when = pacer.try_acquire(chat)
            if when is None:
                self.now += STEP
                continue
            granted.append(when)
            chat = next(chats)
        return granted


def most_in_any_window(grants: list[float], length: float) -> int:
    """The most grants any window of `length` seconds (half-open) holds."""
    ordered = sorted(grants)
    return max(bisect.bisect_left(ordered, t + length) - i for i, t in enumerate(ordered))


def test_a_bucket_lends_its_burst_then_one_token_per_interval() -> None:
    bucket = TokenBucket(rate=10, burst=2)
    for _ in range(2):
        assert bucket.delay(0.0) == 0
        bucket.take(0.0)
    assert bucket.delay(0.0) == pytest.approx(0.1)
    assert bucket.delay(0.1) == 0


def test_a_bucket_emptied_for_a_pause_gains_nothing_before_its_end() -> None:
    bucket = TokenBucket(rate=10, burst=3)
    bucket.empty_until(5.0)
    assert bucket.delay(4.0) == pytest.approx(1.1)
    assert bucket.delay(5.1) == 0


async def test_broadcasts_are_spaced_at_the_global_rate() -> None:
    pacer = Pacer(50, None, global_burst=1)
    started = time.monotonic()
    grants = [await pacer.acquire(chat, BROADCAST) for chat in range(11)]
    # never faster than the rate; slower only by the machine's scheduling (gaps below)
    assert time.monotonic() - started >= 0.2 - 0.01
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) >= 0.02 - 0.002


async def test_one_chat_gets_one_message_per_interval_whoever_asks() -> None:
    pacer = Pacer(None, 10)
    grants = await asyncio.gather(
        pacer.acquire(7, BROADCAST), pacer.acquire(7, REPLY), pacer.acquire(7, BROADCAST)
    )
    ordered = sorted(grants)
    assert ordered[1] - ordered[0] >= 0.1 - 0.002
    assert ordered[2] - ordered[1] >= 0.1 - 0.002


async def test_a_reply_overtakes_the_queued_broadcast() -> None:
    pacer = Pacer(20, None, global_burst=1)
    broadcast = [asyncio.create_task(pacer.acquire(chat, BROADCAST)) for chat in range(10)]
    await asyncio.sleep(0.01)
    reply_granted = await pacer.acquire(1000, REPLY)
    granted = await asyncio.gather(*broadcast)
    # Told by the order of the grants, not by the wall clock: the reply asked after all ten
    # broadcasts were queued and at most one of them (plus the burst's) went before it.
    assert sum(g > reply_granted for g in granted) >= 8


async def test_a_429_pauses_every_send_for_retry_after() -> None:
    pacer = Pacer(100, None)
    granted = await pacer.acquire(1, BROADCAST)
    pacer.retry_after(0.3, granted)
    started = time.monotonic()
    await pacer.acquire(2, REPLY)  # replies wait too: Telegram counts the whole bot
    assert time.monotonic() - started >= 0.3


def test_429s_from_sends_already_in_flight_do_not_slow_down_again() -> None:
    clock = Clock()
    pacer = Pacer(30, None, clock=clock)
    in_flight = clock.grants(pacer, 3)
    for granted in in_flight:
        pacer.retry_after(1, granted)
    assert pacer.stats.retry_afters == 3 and pacer.stats.slowdowns == 1


async def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    pacer = Pacer(20, None, global_burst=1)
    await pacer.acquire(0, BROADCAST)
    doomed = asyncio.create_task(pacer.acquire(1, BROADCAST))
    survivor = asyncio.create_task(pacer.acquire(2, BROADCAST))
    await asyncio.sleep(0)
    doomed.cancel()
    assert await asyncio.wait_for(survivor, 1) > 0


async def test_cancelling_the_last_waiter_leaves_no_task_sleeping_behind() -> None:
    # Else a sender stopped while it waited for the pace leaves the pacer's pump pending when
    # the event loop closes ("Task was destroyed but it is pending!").
    pacer = Pacer(0.1, None, global_burst=1)
    await pacer.acquire(0, BROADCAST)
    waiter = asyncio.create_task(pacer.acquire(1, BROADCAST))
    await asyncio.sleep(0.01)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    await asyncio.sleep(0)
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_python_telegram_bot_replies_go_through_the_shared_pacer(
    server: RunningServer,
) -> None:
    pacer = Pacer(20, 1, global_burst=1)
    bot = ExtBot(TOKEN, base_url=server.base_url, rate_limiter=SharedRateLimiter(pacer))
    async with bot:
        started = time.monotonic()
        await asyncio.gather(*(bot.send_message(chat, "hi") for chat in range(1, 6)))
        elapsed = time.monotonic() - started
    assert pacer.stats.granted == 5  # getMe names no chat: not paced
    assert elapsed >= 4 / 20 - 0.01
    assert server.control.counters()["sent"] == 5


def test_no_more_than_the_limit_starts_in_any_window_from_the_very_first_second() -> None:
    clock = Clock()
    pacer = Pacer(30, 1, global_burst=3, clock=clock)
    grants = clock.grants(pacer, 300)

    assert most_in_any_window(grants, 1.0 + WINDOW_GUARD) <= 30
    assert sum(1 for t in grants if t < grants[0] + 1.0) <= 30  # no initial burst above it
    assert grants[3] - grants[0] >= 1 / 30 - STEP  # at most global_burst back to back
    pace = (len(grants) - 1) / (grants[-1] - grants[0])
    assert pace >= 30 / (1 + WINDOW_GUARD) * 0.98  # and close to the limit all the same


def test_after_a_pause_the_window_holds_and_nothing_bursts() -> None:
    clock = Clock()
    pacer = Pacer(30, None, global_burst=3, clock=clock)
    before = clock.grants(pacer, 60)
    pacer.pause(5.0)
    after = clock.grants(pacer, 60)

    assert after[0] >= before[-1] + 5.0
    assert most_in_any_window(before + after, 1.0 + WINDOW_GUARD) <= 30
    assert after[3] - after[0] >= 1 / 30 - STEP


def test_one_chat_gets_one_message_in_any_second_with_the_guard() -> None:
    clock = Clock()
    pacer = Pacer(None, 1, clock=clock)
    grants = clock.grants(pacer, 5, chats=itertools.repeat(7))

    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) >= 1.0 + WINDOW_GUARD - STEP / 2
    assert max(gaps) <= 1.0 + WINDOW_GUARD + 2 * STEP


def test_a_quiet_chat_may_take_a_short_burst_and_then_one_a_second() -> None:
    clock = Clock()
    pacer = Pacer(None, 1, per_chat_burst=3, clock=clock)
    grants = clock.grants(pacer, 9, chats=itertools.repeat(7))

    assert grants[2] - grants[0] < 0.01  # three back to back after quiet
    assert most_in_any_window(grants, 3.0 + WINDOW_GUARD) <= 3


def test_a_group_gets_at_most_20_messages_in_any_minute() -> None:
    clock = Clock()
    pacer = Pacer(None, 1, clock=clock)
    grants = clock.grants(pacer, 45, chats=itertools.repeat(-100))

    assert most_in_any_window(grants, 60.0) == 20
    assert grants[19] - grants[0] < 21  # one a second while the minute has room
    assert grants[20] - grants[0] >= 60.0


def test_a_429_at_the_full_pace_widens_the_guard_and_keeps_the_pace() -> None:
    clock = Clock()
    pacer = Pacer(30, None, clock=clock)
    granted = clock.grants(pacer, 45)
    pacer.retry_after(1, granted[-1])  # the server took what our window allows, then refused

    assert pacer.rate == 30
    assert pacer.guard == WINDOW_GUARD + GUARD_STEP
    after = clock.grants(pacer, 90)
    assert after[0] >= granted[-1] + 1.0
    assert most_in_any_window(after, 1.0 + WINDOW_GUARD + GUARD_STEP) <= 30


def test_a_429_sets_the_pace_just_under_what_the_server_took_and_it_climbs_back() -> None:
    clock = Clock()
    pacer = Pacer(30, None, clock=clock)
    granted = []
    for chat in range(1, 21):  # ten a second: the server refuses the 20th
        granted.append(pacer.try_acquire(chat))
        clock.now += 0.1
    refused = granted[-1]
    assert refused is not None
    pacer.retry_after(1, refused)

    assert pacer.rate == pytest.approx(9 * 0.9)  # 9 taken in the second before it
    resumed = clock.now + 1.1
    clock.now = resumed + CLIMB_AFTER - 0.01
    assert pacer.rate == pytest.approx(9 * 0.9)  # still the pace it came back at
    clock.now = resumed + CLIMB_AFTER + 3.0
    assert pacer.rate == 30  # within seconds of sends succeeding, back to the configured rate


def test_429s_that_keep_coming_hold_the_pace_near_the_servers_real_limit() -> None:
    # A server that takes 12 in any second, whatever we do; 60 seconds of sending.
    clock = Clock()
    pacer = Pacer(30, None, clock=clock)
    accepted: list[float] = []
    refusals = 0
    start = clock.now
    while clock.now < start + 60:
        when = pacer.try_acquire(len(accepted) + refusals + 1)
        if when is None:
            clock.now += STEP
            continue
        if sum(1 for t in accepted[-20:] if t > when - 1.0) >= 12:
            refusals += 1
            pacer.retry_after(1, when)
        else:
            accepted.append(when)

    late = [t for t in accepted if t > start + 30]
    print(f"\nreal limit 12/s: {len(late) / 30:.1f}/s taken, {refusals} x 429 in 60 s")
    assert len(late) / 30 >= 12 * 0.8  # most of the real limit
    assert refusals <= 25  # about one probe every few seconds, not one per message


def test_no_rate_no_window() -> None:
    clock = Clock()
    pacer = Pacer(None, None, clock=clock)
    grants = clock.grants(pacer, 1000)
    assert grants[-1] == grants[0]


def test_a_send_is_counted_from_its_answer_so_a_slow_one_delays_the_window() -> None:
    clock = Clock()
    pacer = Pacer(30, None, global_burst=1, clock=clock)
    first, *others = clock.grants(pacer, 30)
    clock.now = first + 0.99  # its answer came late: it may have reached the server only now
    pacer.answered(1, first)
    answered = clock.now

    later = clock.grants(pacer, 60)
    # Counted where it may have arrived, the first send and the next 89 keep the window;
    # counted from its grant, the 31st would have gone at first + 1.002.
    assert most_in_any_window([answered, *others, *later], 1.0 + WINDOW_GUARD) <= 30
    assert later[0] >= others[0] + 1.0 + WINDOW_GUARD - STEP / 2
