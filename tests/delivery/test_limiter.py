"""The pacer: global and per-chat buckets, replies ahead of broadcasts, a 429 pauses all."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from telegram.ext import ExtBot

from bot.botapi.local import RunningServer
from bot.delivery.limiter import BROADCAST, REPLY, Pacer, SharedRateLimiter, TokenBucket
from tests.delivery.conftest import TOKEN


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


async def test_a_429_pauses_every_send_for_retry_after_and_halves_the_pace() -> None:
    pacer = Pacer(100, None)
    granted = await pacer.acquire(1, BROADCAST)
    pacer.retry_after(0.3, granted)
    assert pacer.rate == 50
    started = time.monotonic()
    await pacer.acquire(2, REPLY)  # replies wait too: Telegram counts the whole bot
    assert time.monotonic() - started >= 0.3


async def test_429s_from_sends_already_in_flight_do_not_slow_down_again() -> None:
    pacer = Pacer(100, None)
    in_flight = [await pacer.acquire(chat, BROADCAST) for chat in range(3)]
    for granted in in_flight:
        pacer.retry_after(0.05, granted)
    assert pacer.rate == 50
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


async def test_the_pace_climbs_back_a_tenth_at_a_time_after_30_calm_seconds() -> None:
    clock = [0.0]
    pacer = Pacer(100, None, clock=lambda: clock[0])
    pacer.retry_after(1, granted_at=0.0)
    assert pacer.rate == 50
    clock[0] = 30.5
    assert await pacer.acquire(1) == 30.5  # the pause is long over
    assert pacer.rate == 50  # 30 s after the pause ended, not after the 429
    clock[0] = 31.2
    await pacer.acquire(2)
    assert pacer.rate == 60
    clock[0] = 61.3
    await pacer.acquire(3)
    assert pacer.rate == 70
