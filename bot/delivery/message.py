"""What one subscriber receives for one alert: the text in their language, the case buttons."""

from __future__ import annotations

from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.outbox import AlertContent
from bot.texts import DEFAULT_LANGUAGE, FALLBACKS, render

# A closed case takes no more action and a digest spans cases: no buttons on those.
KINDS_WITH_BUTTONS = ("new", "further_information", "deadline_reminder")


def text_for(content: AlertContent, language: str) -> str | None:
    """The text rendered at publish time in the subscriber's language, else the nearest one."""
    chain = FALLBACKS.get(language, FALLBACKS[DEFAULT_LANGUAGE])
    for code in (*chain, DEFAULT_LANGUAGE, *sorted(content.texts)):
        text = content.texts.get(code)
        if text:
            return text
    return None


def buttons_for(content: AlertContent, language: str) -> InlineKeyboardMarkup | None:
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
                    render("buttons/letter.txt", language), callback_data=f"letter:{ref}"
                ),
                InlineKeyboardButton(
                    render("buttons/acted.txt", language), callback_data=f"acted:{ref}"
                ),
            ]
        ]
    )
