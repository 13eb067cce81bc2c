"""A case imported from a document and published reaches each subscriber in their language, as
the local Bot API server recorded it; a language the document lacks comes as the nearest one
with the notice that says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, documents, staff
from bot.sandbox.local import RunningServer
from bot.telegram.thread import BotThread
from bot.texts import render
from tests.clock import ahead
from tests.live import live_application
from tests.telegram.conftest import TOKEN
from tests.telegram.harness import Chat

# title, summary, the person's name, the official's title and name
TEXTS = {
    "en": (
        "Lawyer detained in Almaty",
        "The lawyer was detained after a hearing.",
        "Serik Example",
        "Prosecutor General",
        "Prosecutor General (illustrative)",
    ),
    "ru": (
        "Адвокат задержан в Алматы",
        "Адвоката задержали после судебного заседания.",
        "Серик Пример",
        "Генеральный прокурор",
        "Генеральный прокурор (условно)",
    ),
    "kk": (
        "Алматыда адвокат ұсталды",
        "Адвокат сот отырысынан кейін ұсталды.",
        "Серік Мысал",
        "Бас прокурор",
        "Бас прокурор (шартты)",
    ),
}


def document(ref: str, languages: tuple[str, ...]) -> str:
    deadline = ahead(days=30).astimezone(documents.ZoneInfo("Asia/Almaty"))
    title, summary, name, official, official_name = (
        ", ".join(f"{lang}: {TEXTS[lang][n]}" for lang in languages) for n in range(5)
    )
    return f"""\
format: uabot-case/1
ref: {ref}
country: KZ
deadline: "{deadline:%Y-%m-%dT%H:%M}"
language: en
languages: [kk, ru, en]
title: {{{title}}}
summary: {{{summary}}}
people:
  - name: {{{name}}}
    status: detained
targets:
  - key: kz-prosecutor-general
    country: KZ
    language: ru
    email: prosecutor-general@example.org
    title: {{{official}}}
    name: {{{official_name}}}
"""


@pytest.fixture
def live_bot(
    server: RunningServer, sessions: sessionmaker[Session], engine: Engine
) -> Iterator[BotThread]:
    with BotThread(live_application(TOKEN, server, sessions, engine)) as running:
        yield running


def _import_and_publish(sessions: sessionmaker[Session], text: str) -> str:
    with sessions.begin() as session:
        data, lines = documents.load(text)
        case, _ = documents.import_document(session, staff.SYSTEM, data, lines)
        cases.publish(session, staff.SYSTEM, case.ref)
        return case.ref


def _alert(chat: Chat, ref: str, since: int) -> str:
    messages = chat.control.wait(chat.user_id, since=since, timeout=10)
    [alert] = [m["plain_text"] for m in messages if ref in m["plain_text"]]
    return str(alert)


def test_an_imported_case_reaches_each_subscriber_in_their_language_or_the_nearest(
    live_bot: BotThread, server: RunningServer, sessions: sessionmaker[Session]
) -> None:
    readers = {lang: Chat(server.control, 60 + n, language=lang) for n, lang in enumerate(TEXTS)}
    for chat in readers.values():
        chat.say("/follow all")

    since = {lang: chat.last_id() for lang, chat in readers.items()}
    ref = _import_and_publish(sessions, document("KZ-2026-301", ("en", "ru", "kk")))
    for lang, chat in readers.items():
        alert = _alert(chat, ref, since[lang])
        title, summary = TEXTS[lang][:2]
        assert title in alert and summary in alert, lang
        assert "🌐" not in alert

    since = {lang: chat.last_id() for lang, chat in readers.items()}
    ref = _import_and_publish(sessions, document("KZ-2026-302", ("en", "ru")))
    for lang in ("en", "ru"):
        alert = _alert(readers[lang], ref, since[lang])
        assert TEXTS[lang][0] in alert and TEXTS[lang][1] in alert and "🌐" not in alert
    kazakh = _alert(readers["kk"], ref, since["kk"])
    assert TEXTS["ru"][0] in kazakh and TEXTS["ru"][1] in kazakh
    assert TEXTS["kk"][0] not in kazakh
    notice = render("alerts/_fallback.html", "kk", case=SimpleNamespace(fallback="ru"))
    assert kazakh.splitlines()[0] == re.sub(r"<[^>]+>", "", notice)
