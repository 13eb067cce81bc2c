"""The control API: waiting for the bot, event streams, config and reset."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest
from telegram import Bot, Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.sandbox.local import RunningServer, WaitTimedOut
from tests.sandbox.conftest import TOKEN, plain_http


async def echo_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to /start, as the smallest possible bot."""
    await update.effective_message.reply_text(f"Welcome, {update.effective_user.first_name}")


async def test_a_ptb_application_in_the_tests_loop_answers_a_user(server: RunningServer) -> None:
    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(server.base_url)
        .request(plain_http())
        .get_updates_request(plain_http())
        .build()
    )
    app.add_handler(CommandHandler("start", echo_start))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await server.acontrol.send_text(42, "/start", first_name="Ann")

        [reply] = await server.acontrol.wait(42, count=1, timeout=5)

        await app.updater.stop()
        await app.stop()
    assert reply["text"] == "Welcome, Ann"


def test_wait_returns_once_the_bot_has_sent_enough(server: RunningServer) -> None:
    def bot_sends_later() -> None:
        time.sleep(0.2)
        for text in ("one", "two"):
            httpx.post(f"{server.base_url}{TOKEN}/sendMessage", data={"chat_id": 42, "text": text})

    server.control.send_text(42, "/cases")
    threading.Thread(target=bot_sends_later).start()

    replies = server.control.wait(42, count=2, timeout=5)

    assert [m["text"] for m in replies] == ["one", "two"]
    assert server.control.wait(42, count=1, since=replies[0]["message_id"])[0]["text"] == "two"


def test_wait_raises_with_what_came_after_its_timeout(server: RunningServer) -> None:
    httpx.post(f"{server.base_url}{TOKEN}/sendMessage", data={"chat_id": 42, "text": "only one"})

    with pytest.raises(WaitTimedOut) as raised:
        server.control.wait(42, count=2, timeout=0.3)

    assert [m["text"] for m in raised.value.messages] == ["only one"]


async def test_the_sync_wait_refuses_to_block_an_event_loop(server: RunningServer) -> None:
    with pytest.raises(RuntimeError, match="acontrol"):
        server.control.wait(42)


async def read_events(url: str, count: int) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    async with httpx.AsyncClient(timeout=5) as http, http.stream("GET", url) as stream:
        kind = ""
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((kind, json.loads(line.removeprefix("data: "))))
                if len(events) == count:
                    return events
    return events


async def test_events_stream_a_chats_messages_edits_and_answers(bot: Bot, server) -> None:
    first = await bot.send_message(42, "before")
    url = f"{server.url}/_control/chats/42/events?since=0"
    reader = asyncio.create_task(read_events(url, 4))
    await asyncio.sleep(0.1)

    await server.acontrol.send_text(42, "hello")
    await bot.send_message(43, "another chat")
    await bot.edit_message_text("after", chat_id=42, message_id=first.message_id)
    pressed = await server.acontrol.press(42, first.message_id, "x")
    await bot.answer_callback_query(pressed["callback_query_id"], text="done")
    events = await asyncio.wait_for(reader, 5)

    assert [(kind, data.get("text")) for kind, data in events] == [
        ("message", "before"),
        ("message", "hello"),
        ("message", "after"),
        ("callback_answer", "done"),
    ]
    assert events[2][1]["edited"] is True


def test_reset_forgets_messages_but_keeps_config_and_update_ids(server: RunningServer) -> None:
    server.control.configure(per_chat_rate=2.0)
    before = server.control.send_text(42, "hi")

    server.control.reset()

    assert server.control.messages(42) == []
    assert server.control.counters()["requests"] == {}
    assert server.control.configure()["per_chat_rate"] == 2.0
    assert server.control.send_text(42, "again")["update_id"] == before["update_id"] + 1


def test_config_refuses_unknown_keys_and_bad_values(server: RunningServer) -> None:
    bad_configs = (
        {"per_chat_limit": 1},
        {"fail_rate": 2},
        {"fail_rate": 0.6, "slow_rate": 0.6},
        {"blocked_chats": ["x"]},
        {"per_chat_burst": 0},
    )
    for bad in bad_configs:
        with pytest.raises(httpx.HTTPStatusError) as raised:
            server.control.configure(**bad)
        assert raised.value.response.status_code == 400

    assert server.control.configure()["fail_rate"] == 0.0
