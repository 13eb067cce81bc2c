"""What one subscriber receives for one alert: the text in their language, the case buttons."""

from __future__ import annotations

import json
from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.outbox import AlertContent
from bot.domain.alerts import zoned
from bot.texts import DEFAULT_LANGUAGE, FALLBACKS, render

# A closed case takes no more action and a digest spans cases: no buttons on those.
KINDS_WITH_BUTTONS = ("new", "further_information", "deadline_reminder")
# A notice may carry its own buttons (bot/watch/notify.py): JSON rows of [label template,
# callback data] under this key of its texts; the labels are rendered in the reader's language.
OWN_BUTTONS = "_buttons"


def text_for(content: AlertContent, language: str, timezone: str | None = None) -> str | None:
    """The text rendered at publish time in the subscriber's language (and for their time
    zone where that changes it), else the nearest one."""
    chain = FALLBACKS.get(language, FALLBACKS[DEFAULT_LANGUAGE])
    for code in (*chain, DEFAULT_LANGUAGE, *sorted(content.texts)):
        if code.startswith("_"):
            continue
        text = (timezone and content.texts.get(zoned(code, timezone))) or content.texts.get(code)
        if text:
            return text
    return None


def buttons_for(content: AlertContent, language: str) -> InlineKeyboardMarkup | None:
    if OWN_BUTTONS in content.texts:
        return own_keyboard(content.texts[OWN_BUTTONS], language)
    if content.case_ref is None or content.kind not in KINDS_WITH_BUTTONS:
        return None
    return case_keyboard(content.case_ref, language)


@lru_cache(maxsize=256)
def case_keyboard(ref: str, language: str) -> InlineKeyboardMarkup:
    """'Get letter' and 'I took action'; callback data holds only the case reference."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    render("buttons.txt", language, name="letter"), callback_data=f"letter:{ref}"
                ),
                InlineKeyboardButton(
                    render("buttons.txt", language, name="acted"), callback_data=f"acted:{ref}"
                ),
            ]
        ]
    )


@lru_cache(maxsize=256)
def own_keyboard(spec: str, language: str) -> InlineKeyboardMarkup | None:
    rows = json.loads(spec)
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    render("buttons.txt", language, name=label), callback_data=data
                )
                for label, data in row
            ]
            for row in rows
        ]
    )
