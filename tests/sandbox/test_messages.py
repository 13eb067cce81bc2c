"""Sending, editing and reading messages through PTB's real Bot over HTTP."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.sandbox.content import URL_LIMIT
from bot.sandbox.local import RunningServer
from tests.sandbox.conftest import BOT_ID

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Follow", callback_data="follow:7")]])


async def test_it_answers_get_me_with_the_bot_of_the_token(bot: Bot) -> None:
    me = await bot.get_me()

    assert me.id == BOT_ID
    assert me.is_bot
    assert me.username == "uabot_test_bot"


async def test_it_delivers_a_message_with_an_inline_keyboard(bot: Bot, server: RunningServer):
    sent = await bot.send_message(
        42, "<b>Agadil</b> &amp; co", parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )

    assert sent.text == "Agadil & co"
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup == KEYBOARD
    [shown] = await server.acontrol.messages(42)
    assert shown["from_bot"] is True
    assert shown["text"] == "<b>Agadil</b> &amp; co"
    assert shown["plain_text"] == "Agadil & co"
    assert shown["parse_mode"] == "HTML"
    assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "follow:7"


async def test_it_numbers_messages_per_chat(bot: Bot) -> None:
    first = await bot.send_message(1, "one")
    other = await bot.send_message(2, "other")
    second = await bot.send_message(1, "two")

    assert (first.message_id, other.message_id, second.message_id) == (1, 1, 2)


async def test_it_refuses_an_empty_or_too_long_text(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(42, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(42, "<b> </b>", parse_mode=ParseMode.HTML)

    assert (await bot.send_message(42, "x" * 4096)).text == "x" * 4096


async def test_it_counts_the_limit_after_entities_are_parsed(bot: Bot) -> None:
    text = "<b>" + "x" * 4096 + "</b>"

    assert len((await bot.send_message(42, text, parse_mode=ParseMode.HTML)).text) == 4096


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
    ],
)
async def test_it_refuses_html_telegram_cannot_parse(bot: Bot, html: str, error: str) -> None:
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(42, html, parse_mode=ParseMode.HTML)

    # PTB strips "Bad Request: " and capitalizes what is left, lowering the rest.
    assert raised.value.message == f"can't parse entities: {error}".capitalize()


async def test_it_refuses_callback_data_longer_than_64_bytes(bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])

    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(42, "hi", reply_markup=keyboard)


async def test_it_refuses_a_mailto_button_as_telegram_does(bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Mail", url="mailto:a@example.org")]])

    with pytest.raises(BadRequest, match="is invalid: wrong http url"):
        await bot.send_message(42, "hi", reply_markup=keyboard)


async def test_it_takes_a_url_button_up_to_2048_characters_and_refuses_a_longer_one(
    bot: Bot,
) -> None:
    page = "https://uabot.example.org/mail.html#"
    fits = InlineKeyboardButton("Mail", url=page + "a" * (URL_LIMIT - len(page)))
    await bot.send_message(42, "hi", reply_markup=InlineKeyboardMarkup([[fits]]))
    long = InlineKeyboardButton("Mail", url=page + "a" * (URL_LIMIT + 1 - len(page)))

    with pytest.raises(BadRequest, match="Button_url_invalid"):
        await bot.send_message(42, "hi", reply_markup=InlineKeyboardMarkup([[long]]))


async def test_it_refuses_a_keyboard_past_10_kb(bot: Bot) -> None:
    url = "https://uabot.example.org/" + "a" * 1900
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(str(i), url=url)] for i in range(6)])

    with pytest.raises(BadRequest, match="Reply_markup_too_long"):
        await bot.send_message(42, "hi", reply_markup=keyboard)


async def test_it_quotes_the_message_replied_to(bot: Bot, server: RunningServer) -> None:
    asked = await server.acontrol.send_text(42, "/case AG-1")

    answer = await bot.send_message(
        42, "Agadil", reply_parameters=ReplyParameters(asked["message_id"])
    )

    assert answer.reply_to_message.text == "/case AG-1"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(42, "x", reply_parameters=ReplyParameters(99))


async def test_it_edits_text_and_drops_the_keyboard_unless_sent_again(bot: Bot, server):
    sent = await bot.send_message(42, "draft", reply_markup=KEYBOARD)

    edited = await bot.edit_message_text("final", chat_id=42, message_id=sent.message_id)

    assert edited.text == "final"
    assert edited.reply_markup is None
    [shown] = await server.acontrol.messages(42)
    assert (shown["text"], shown["edited"], shown["reply_markup"]) == ("final", True, None)


async def test_it_refuses_an_edit_that_changes_nothing_or_a_missing_message(bot: Bot) -> None:
    sent = await bot.send_message(42, "same", reply_markup=KEYBOARD)

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("same", 42, sent.message_id, reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("new", 42, 999)


async def test_it_edits_only_the_reply_markup(bot: Bot, server: RunningServer) -> None:
    sent = await bot.send_message(42, "case", reply_markup=KEYBOARD)

    await bot.edit_message_reply_markup(42, sent.message_id, reply_markup=None)

    [shown] = await server.acontrol.messages(42)
    assert (shown["text"], shown["reply_markup"]) == ("case", None)


async def test_markdown_v2_is_refused_since_only_html_is_modelled(
    bot: Bot, server: RunningServer
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)markdownv2 is not modelled"):
        await bot.send_message(42, r"*Deadline* 1\.12", parse_mode=ParseMode.MARKDOWN_V2)

    assert await server.acontrol.messages(42) == []


def test_it_takes_a_json_body_and_refuses_a_malformed_token(server: RunningServer) -> None:
    answer = httpx.post(f"{server.base_url}1:x/sendMessage", json={"chat_id": 5, "text": "hi"})
    refused = httpx.get(f"{server.base_url}not-a-token/getMe")

    assert answer.json()["result"]["chat"] == {"id": 5, "type": "private", "first_name": "User 5"}
    assert (refused.status_code, refused.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )


async def test_a_protected_message_says_so_as_telegram_does(bot: Bot, server: RunningServer):
    sent = await bot.send_message(42, "restricted", protect_content=True)
    plain = await bot.send_message(42, "public")
    assert (sent.has_protected_content, plain.has_protected_content) == (True, None)
    shown = await server.acontrol.messages(42)
    assert [m["protected"] for m in shown] == [True, False]


async def test_it_deletes_a_message_once_and_then_it_is_not_found(
    bot: Bot, server: RunningServer
) -> None:
    sent = await bot.send_message(42, "soon gone")
    kept = await bot.send_message(42, "stays")
    assert await bot.delete_message(42, sent.message_id) is True
    assert [m["message_id"] for m in await server.acontrol.messages(42)] == [kept.message_id]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(42, sent.message_id)


async def test_a_message_older_than_48_hours_cannot_be_deleted(
    bot: Bot, server: RunningServer
) -> None:
    sent = await bot.send_message(42, "old")
    server.state.message(42, sent.message_id).timestamp -= 48 * 3600  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match=r"(?i)message can.t be deleted"):
        await bot.delete_message(42, sent.message_id)


async def test_in_a_group_the_bot_deletes_only_its_own_messages(
    bot: Bot, server: RunningServer
) -> None:
    said = await server.acontrol.send_text(7, "hello all", chat_id=-500, chat_type="group")
    with pytest.raises(BadRequest, match=r"(?i)message can.t be deleted"):
        await bot.delete_message(-500, said["message_id"])
