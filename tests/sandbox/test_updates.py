"""Users' messages and button presses, as the bot receives them from getUpdates."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict

from bot.sandbox.local import RunningServer, run_server
from tests.sandbox.conftest import TOKEN, plain_http

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("I took action", callback_data="acted:7")]])


async def test_an_injected_message_comes_with_its_command_entity(bot: Bot, server) -> None:
    sent = await server.acontrol.send_text(42, "/case AG-1", first_name="Ann", language_code="ru")

    [update] = await bot.get_updates()

    assert update.update_id == sent["update_id"]
    message = update.message
    assert (message.message_id, message.text, message.chat.id) == (
        sent["message_id"],
        "/case AG-1",
        42,
    )
    assert message.chat.type == "private"
    assert (message.from_user.first_name, message.from_user.language_code) == ("Ann", "ru")
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/case")


async def test_get_updates_confirms_everything_before_the_offset(bot: Bot, server) -> None:
    for text in ("one", "two", "three"):
        await server.acontrol.send_text(42, text)

    first = await bot.get_updates()
    again = await bot.get_updates(offset=first[1].update_id)
    after = await bot.get_updates(offset=first[-1].update_id + 1)

    assert [u.message.text for u in first] == ["one", "two", "three"]
    assert [u.message.text for u in again] == ["two", "three"]
    assert after == ()


async def test_get_updates_long_polls_until_an_update_arrives(bot: Bot, server) -> None:
    async def user_writes_later() -> None:
        await asyncio.sleep(0.2)
        await server.acontrol.send_text(42, "late")

    started = time.monotonic()
    writer = asyncio.create_task(user_writes_later())
    [update] = await bot.get_updates(timeout=30)
    await writer

    assert update.message.text == "late"
    # It answered when the update came (after 0.2 s), not at its 30 s timeout: the wall clock
    # is the only witness here, with a margin of many seconds on either side.
    assert 0.15 < time.monotonic() - started < 15


async def test_get_updates_answers_empty_after_its_timeout(bot: Bot) -> None:
    started = time.monotonic()

    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 15  # it waited its second, and not for ever


async def test_a_second_poller_ends_the_first_with_409(bot: Bot, server: RunningServer) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)

    # Another Bot: one Bot's own polls queue behind each other in its connection pool.
    async with Bot(TOKEN, base_url=server.base_url, request=plain_http()) as second_instance:
        await second_instance.get_updates(timeout=0)

    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_allowed_updates_filters_out_other_kinds(bot: Bot, server) -> None:
    sent = await bot.send_message(42, "case", reply_markup=KEYBOARD)
    await server.acontrol.send_text(42, "hello")
    await server.acontrol.press(42, sent.message_id, "acted:7")

    updates = await bot.get_updates(allowed_updates=["callback_query"])

    assert [u.callback_query.data for u in updates] == ["acted:7"]


async def test_a_press_reaches_the_bot_and_its_answer_is_recorded(bot: Bot, server) -> None:
    sent = await bot.send_message(42, "case", reply_markup=KEYBOARD)
    pressed = await server.acontrol.press(42, sent.message_id, "acted:7")

    [update] = await bot.get_updates()
    query = update.callback_query
    await bot.answer_callback_query(query.id, text="Thank you", show_alert=True)

    assert query.id == pressed["callback_query_id"]
    assert (query.data, query.from_user.id, query.message.message_id) == ("acted:7", 42, 1)
    assert query.message.reply_markup == KEYBOARD
    assert await server.acontrol.callback_answers(query.id) == [
        {"callback_query_id": query.id, "text": "Thank you", "show_alert": True}
    ]


async def test_a_callback_query_is_answered_once(bot: Bot, server: RunningServer) -> None:
    sent = await bot.send_message(42, "case", reply_markup=KEYBOARD)
    pressed = await server.acontrol.press(42, sent.message_id, "acted:7")
    await bot.answer_callback_query(pressed["callback_query_id"])

    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(pressed["callback_query_id"])


def test_a_press_on_a_message_that_does_not_exist_is_refused(server: RunningServer) -> None:
    with pytest.raises(Exception, match="404"):
        server.control.press(42, 99, "acted:7")


async def test_a_webhook_forbids_polling_until_deleted(bot: Bot) -> None:
    await bot.set_webhook("https://uabot.example.org/hook")

    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert (await bot.get_webhook_info()).url == "https://uabot.example.org/hook"
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_a_webhook_receives_updates_with_its_secret(bot: Bot, server) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        await server.acontrol.send_text(42, "queued before")
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        await server.acontrol.send_text(42, "/start")
        for _ in range(50):
            if len(received) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        await runner.cleanup()

    assert [(secret, body["message"]["text"]) for secret, body in received] == [
        ("s3cret", "queued before"),
        ("s3cret", "/start"),
    ]
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_a_press_can_carry_the_users_name_and_language(bot: Bot, server) -> None:
    sent = await bot.send_message(42, "case", reply_markup=KEYBOARD)
    await server.acontrol.press(42, sent.message_id, "acted:7", language_code="kk")

    [update] = await bot.get_updates()

    assert update.callback_query.from_user.language_code == "kk"


def test_run_server_can_take_a_fixed_port() -> None:
    with run_server() as first:
        port = int(first.url.rsplit(":", 1)[1])
    with run_server("127.0.0.1", port) as second:
        assert second.url == f"http://127.0.0.1:{port}"
        assert second.control.counters()["sent"] == 0
