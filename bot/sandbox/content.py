"""What Telegram checks in a message before accepting it: text, parse mode, keyboard."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.entities import EntityError, parse_html
from bot.sandbox.errors import bad_request
from bot.sandbox.state import Content

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
# Telegram documents no length for a URL button's link, only 10 KB of markup per message
# (tginfo's Telegram-Limits, "Message markup data"). The strictest reasonable reading: each
# URL at most 2,048 characters (the common URL ceiling) and the whole keyboard at most
# 10,240 bytes of JSON. bot/letters/mailto.py keeps to the same figure (URL_BUTTON_LIMIT).
URL_LIMIT = 2048
MARKUP_LIMIT = 10 * 1024  # bytes
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def parse(text: str, parse_mode: str | None, entities: Any = None) -> Content:
    """The text as shown and its entities, or Telegram's "can't parse entities" error."""
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            plain, found = parse_html(text)
        elif mode == "markdownv2":
            # uabot sends HTML only; this server does not model MarkdownV2, and says so rather
            # than show a text Telegram might refuse.
            raise bad_request("MarkdownV2 is not modelled by the local Bot API server: use HTML")
        elif mode in ("", "markdown"):
            # Legacy Markdown is not modelled: shown as sent.
            plain, found = text, (entities if isinstance(entities, list) else [])
        else:
            raise bad_request(f"unsupported parse_mode {parse_mode}")
    except EntityError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    return Content(text, plain, found, parse_mode)


def message_text(text: str | None, parse_mode: str | None, entities: Any = None) -> Content:
    if not text:
        raise bad_request("message text is empty")
    content = parse(text, parse_mode, entities)
    if not content.plain_text.strip():
        raise bad_request("message text is empty")
    if len(content.plain_text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return content


def caption(text: str | None, parse_mode: str | None, entities: Any = None) -> Content:
    if not text:
        return Content("", "")
    content = parse(text, parse_mode, entities)
    if len(content.plain_text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return content


def reply_markup(markup: Any) -> dict[str, Any] | None:
    """The markup if Telegram would take it; inline keyboards are checked button by button."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
        for row in rows:
            for button in row:
                _check_button(button)
        if len(json.dumps(markup, ensure_ascii=False).encode()) > MARKUP_LIMIT:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
    elif not markup.keys() & {"keyboard", "remove_keyboard", "force_reply"}:
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if not button.keys() & set(_BUTTON_ACTIONS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        if len(url) > URL_LIMIT:
            raise bad_request("BUTTON_URL_INVALID")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "tg") or not (parts.netloc or parts.path):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
