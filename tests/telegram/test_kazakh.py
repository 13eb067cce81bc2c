"""A subscriber whose Telegram speaks Kazakh gets every answer in Kazakh: no word that only the
Russian catalog uses appears in a reply to any subscriber command, right or wrong."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, staff
from bot.telegram.commands import SUBSCRIBER_COMMANDS
from bot.texts import catalog_path
from tests.telegram.harness import Chat, button_data

REF = "KZ-2026-001"
WORD = re.compile(r"[а-яёәғқңөұүһі]+", re.IGNORECASE)


def _words(lang: str) -> set[str]:
    with catalog_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    found: set[str] = set()
    for message in catalog:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            found |= {w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)s|<[^>]+>", " ", form))}
    return found


RUSSIAN_ONLY = _words("ru") - _words("kk")

# Each subscriber command, used rightly and wrongly (its usage answer).
COMMANDS = [
    "/start",
    "/help",
    "/cases",
    f"/case {REF}",
    "/case",
    f"/follow {REF}",
    "/follow nowhere",
    "/mine",
    f"/letter {REF} kk",  # a bare /letter gives the officials' language first: here Russian
    "/letter",
    f"/acted {REF}",
    "/acted",
    "/settings",
    "/settings tz Nowhere/City",
    f"/unfollow {REF}",
    f"/unfollow {REF}",
    "/case KZ-1999-999",
    "/stop",
]


def test_every_subscriber_command_is_exercised_here() -> None:
    used = {c.split()[0].lstrip("/") for c in COMMANDS}
    assert set(SUBSCRIBER_COMMANDS) <= used


def test_a_kazakh_subscriber_reads_no_russian(chat: Chat, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, REF)
    chat.language = "kk"
    russian: dict[str, set[str]] = {}
    for command in COMMANDS:
        for reply in chat.say(command, expect=7 if command.startswith("/letter K") else 1):
            text = reply.get("text") or reply.get("caption") or ""
            words = {w.lower() for w in WORD.findall(text)}
            if words & RUSSIAN_ONLY:
                russian[command] = words & RUSSIAN_ONLY
    assert russian == {}


def test_a_kazakh_subscribers_buttons_are_kazakh(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, REF)
    chat.language = "kk"
    [case] = chat.say(f"/case {REF}")
    labels = {b["text"] for row in case["reply_markup"]["inline_keyboard"] for b in row}
    assert labels == {
        *("🔔 Жазылу", "✉️ Хатты алу", "✅ Өтініш жібердім"),
        *("ℹ️ Толығырақ", "📜 Іс тарихы"),
    }
    [done] = chat.press(case, button_data(case, f"acted:{REF}"))
    assert "Осы уақытқа дейін 1 адам өтініш жіберді." in done["text"]
