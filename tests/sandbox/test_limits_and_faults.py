"""Flood limits, blocked and gone chats, and injected faults, as PTB sees them."""

from __future__ import annotations

import time

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.sandbox.local import RunningServer

# PTB warns about RetryAfter's int retry_after as it builds the exception; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_it_answers_429_with_retry_after_past_the_per_chat_limit(bot: Bot, server) -> None:
    await server.acontrol.configure(per_chat_rate=1.0, per_chat_burst=2)
    await bot.send_message(42, "one")
    await bot.send_message(42, "two")

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(42, "three")

    assert str(raised.value) == "Flood control exceeded. Retry in 1 seconds"
    assert await bot.send_message(43, "another chat is not held back")
    counters = await server.acontrol.counters()
    assert counters["status"]["429"] == 1
    assert counters["delivered_by_chat"] == {"42": 2, "43": 1}
    assert [m["text"] for m in await server.acontrol.messages(42)] == ["one", "two"]


async def test_it_answers_429_past_the_global_limit(bot: Bot, server: RunningServer) -> None:
    await server.acontrol.configure(global_rate=2.0, global_burst=3)
    for chat_id in (1, 2, 3):
        await bot.send_message(chat_id, "hi")

    with pytest.raises(RetryAfter):
        await bot.send_message(4, "hi")


async def test_a_client_pacing_at_exactly_the_limit_is_not_punished(bot: Bot, server) -> None:
    await server.acontrol.configure(per_chat_rate=5.0, per_chat_burst=1)
    started = time.monotonic()

    for n in range(6):
        # Sleep to the next 200 ms mark, as a client pacing at the limit does.
        wait = started + n * 0.2 - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # noqa: ASYNC251 - exact pacing, with nothing else on this loop
        await bot.send_message(42, f"message {n}")

    assert (await server.acontrol.counters())["status"]["429"] == 0


async def test_a_blocked_chat_answers_403_and_a_gone_one_400(bot: Bot, server) -> None:
    await server.acontrol.configure(blocked_chats=[7], gone_chats=[8])

    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(7, "hi")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(8, "hi")

    counters = await server.acontrol.counters()
    assert (counters["status"]["403"], counters["status"]["400"], counters["sent"]) == (1, 1, 0)


async def test_a_migrated_group_answers_with_its_new_id(bot: Bot, server: RunningServer) -> None:
    await server.acontrol.configure(migrated_chats={"-5": -1005})

    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(-5, "hi")

    assert raised.value.new_chat_id == -1005


async def test_fail_rate_answers_502_and_delivers_nothing(bot: Bot, server) -> None:
    await server.acontrol.configure(fail_rate=1.0)

    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(42, "hi")

    counters = await server.acontrol.counters()
    assert (counters["status"]["5xx"], counters["sent"]) == (1, 0)
    assert await server.acontrol.messages(42) == []


async def test_drop_rate_closes_the_connection_without_delivering(bot: Bot, server) -> None:
    await server.acontrol.configure(drop_rate=1.0)

    with pytest.raises(NetworkError):
        await bot.send_message(42, "hi")

    assert (await server.acontrol.counters())["status"]["dropped"] == 1
    assert await server.acontrol.messages(42) == []


async def test_lost_rate_delivers_but_never_answers(bot: Bot, server: RunningServer) -> None:
    await server.acontrol.configure(lost_rate=1.0)

    with pytest.raises(NetworkError):
        await bot.send_message(42, "hi")

    assert [m["text"] for m in await server.acontrol.messages(42)] == ["hi"]
    assert (await server.acontrol.counters())["status"]["lost"] == 1


async def test_slow_rate_delays_then_delivers(bot: Bot, server: RunningServer) -> None:
    await server.acontrol.configure(slow_rate=1.0, slow_seconds=0.3)
    started = time.monotonic()

    await bot.send_message(42, "hi")

    assert time.monotonic() - started >= 0.3
    assert (await server.acontrol.counters())["status"]["slow"] == 1


def test_the_same_seed_draws_the_same_faults(server: RunningServer) -> None:
    def draws() -> list[str | None]:
        server.control.configure(fail_rate=0.3, slow_rate=0.3, seed=7)
        return [server.state.draw_fault() for _ in range(20)]

    first = draws()

    assert first == draws()
    assert {"fail", "slow", None} == set(first)
