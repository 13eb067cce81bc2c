"""What a handler answers: text (HTML) and optional inline buttons; split to Telegram's limit."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import render

TELEGRAM_LIMIT = 4096

Button = tuple[str, str]  # (label, callback data, or an http(s) URL the button opens)
URL_SCHEMES = ("https://", "http://", "tg://")


@dataclass(frozen=True)
class Reply:
    html: str
    buttons: list[list[Button]] = field(default_factory=list)
    edit: bool = False  # replace the message whose button was pressed
    document: tuple[str, bytes] | None = None  # (file name, bytes)
    toast: str | None = None  # the answer to a button press, shown over the chat
    menu_for: tuple[int, str | None] | None = None  # (user id, new role): reset their menu
    # Restricted data (bot/domain/safeguards.py): sent with protect_content, and deleted from
    # the chat at `expires_at`.
    protect: bool = False
    expires_at: datetime | None = None
    to_chat: int | None = None  # sent to this chat (an admin's alert), not the one asking
    delete_asked: bool = False  # delete the message that asked (it held a PIN)
    sweep_now: bool = False  # delete now the expiring messages that are due (after /panic)

    @classmethod
    def page(
        cls,
        template: str,
        lang: str,
        buttons: list[list[Button]] | None = None,
        /,
        **context: object,
    ) -> Reply:
        return cls(render(template, lang, **context), buttons or [])

    @classmethod
    def plain(cls, text: str) -> Reply:
        """Text that was not written as HTML (domain error messages): escape it whole."""
        return cls(html.escape(text, quote=False))

    def markup(self) -> InlineKeyboardMarkup | None:
        if not self.buttons:
            return None
        return InlineKeyboardMarkup(
            [[_button(label, data) for label, data in row] for row in self.buttons]
        )


def _button(label: str, data: str) -> InlineKeyboardButton:
    # Callback data is `verb:arg` and never starts like a URL, so one tuple type serves both.
    if data.startswith(URL_SCHEMES):
        return InlineKeyboardButton(label, url=data)
    return InlineKeyboardButton(label, callback_data=data)


def split(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at paragraph, then line, then hard boundaries; our templates keep tags on one line."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = _safe_cut(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    chunks.append(rest)
    return [c for c in chunks if c.strip()] or [text[:limit]]


def _safe_cut(text: str, limit: int) -> int:
    """A hard cut that does not fall inside an HTML entity or tag."""
    cut = limit
    amp, lt = text.rfind("&", 0, cut), text.rfind("<", 0, cut)
    if amp > text.rfind(";", 0, cut):
        cut = amp
    if lt > text.rfind(">", 0, cut):
        cut = min(cut, lt)
    return cut
