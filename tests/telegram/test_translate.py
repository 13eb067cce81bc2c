"""Coordinators translate from the phone (/translate), give an alert's text in several
languages (/update, /close), and see per language who reads a preview and what they lack.
Through the local Bot API server; the delivery worker runs beside the bot, as `uabot run`
runs it, so subscribers' chats receive what was queued."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, staff, translations
from bot.sandbox.local import RunningServer
from bot.store.models import Alert, AuditEvent, CaseTranslation, TargetTranslation
from bot.telegram.thread import BotThread
from tests import demo_rows
from tests.live import live_application
from tests.telegram.conftest import COORDINATOR, TOKEN
from tests.telegram.harness import Chat, as_seen, button_data, buttons

REF = "KZ-2026-001"


@pytest.fixture
def live_bot(
    server: RunningServer, sessions: sessionmaker[Session], engine: Engine
) -> Iterator[BotThread]:
    with sessions.begin() as session:
        demo_rows.load_cases(session)
        # The seed cases come in three languages: without their Kazakh, there is something
        # to translate.
        session.execute(delete(CaseTranslation).where(CaseTranslation.language == "kk"))
        session.execute(delete(TargetTranslation).where(TargetTranslation.language == "kk"))
        staff.grant(session, staff.SYSTEM, COORDINATOR, "coordinator")
    application = live_application(TOKEN, server, sessions, engine)
    with BotThread(application) as running:
        yield running


@pytest.fixture
def coordinator(server: RunningServer, live_bot: BotThread) -> Chat:
    return Chat(server.control, COORDINATOR, first_name="Coordinator")


def _followers(server: RunningServer, languages: dict[int, str], what: str) -> list[Chat]:
    chats = [Chat(server.control, uid, language=lang) for uid, lang in languages.items()]
    for chat in chats:
        chat.say(f"/follow {what}")
    return chats


def _translation(sessions: sessionmaker[Session], field: str, language: str) -> str | None:
    with sessions() as session:
        return session.scalar(
            select(CaseTranslation.text).where(
                CaseTranslation.field == field, CaseTranslation.language == language
            )
        )


def test_the_quick_form_saves_one_text_in_kazakh_and_audits_it(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    [answer] = coordinator.say(f"/translate {REF} kk people[1].name Дулат Ағаділ")
    assert "Saved: people[1].name in Kazakh" in answer["text"]
    assert _translation(sessions, "name", "kk") == "Дулат Ағаділ"
    with sessions() as session:
        [event] = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "case.translate", AuditEvent.actor_id == COORDINATOR
            )
        ).all()
        assert event.case_ref == REF and event.actor_id == COORDINATOR
    [refused] = coordinator.say(f"/translate {REF} kk people[9].name Ешкім")
    assert "has no text at people[9].name" in refused["text"]


def test_the_guided_chain_saves_the_field_picked_and_asks_the_next_missing(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    [pick_case] = coordinator.say("/translate")
    languages = coordinator.press_edit(pick_case, f"tl:{REF}")
    assert any(label.startswith("Kazakh · ✏️") for label in buttons(languages))
    fields = coordinator.press_edit(languages, f"tl:{REF}:kk")
    assert buttons(fields)["✏️ title"] == f"tl:{REF}:kk:title"
    question = coordinator.press_edit(fields, f"tl:{REF}:kk:title")
    assert "Original in English" in question["text"] and "not translated yet" in question["text"]

    [next_one] = coordinator.say("Дулат Ағаділдің отбасы бақылауда")
    assert "Saved: title in Kazakh" in next_one["text"]
    assert "summary" in next_one["text"]  # the next text Kazakh lacks, asked at once
    assert _translation(sessions, "title", "kk") == "Дулат Ағаділдің отбасы бақылауда"
    fields = coordinator.press_edit(next_one, button_data(next_one, f"tl:{REF}:kk"))
    assert "title" in buttons(fields)  # no longer marked missing


def test_an_update_given_in_three_languages_reaches_each_reader_in_theirs(
    coordinator: Chat, server: RunningServer, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, REF)
    english, russian, kazakh = _followers(server, {41: "en", 42: "ru", 43: "kk"}, REF)
    [preview] = coordinator.say(f"/update {REF} He was moved to another prison.")
    assert {f"➕ Add {name}" for name in ("Russian", "Kazakh")} <= set(buttons(preview))

    [ask] = coordinator.press(preview, buttons(preview)["➕ Add Russian"])
    assert "in Russian" in ask["text"] and "He was moved" in ask["text"]
    [preview] = coordinator.say("Его перевели в другую тюрьму.")
    [ask] = coordinator.press(preview, buttons(preview)["➕ Add Kazakh"])
    assert "in Kazakh" in ask["text"]
    [preview] = coordinator.say("Ол басқа түрмеге ауыстырылды.")
    assert not any(data.startswith("fl:") for data in buttons(preview).values())

    since = {chat.user_id: chat.last_id() for chat in (english, russian, kazakh)}
    done = coordinator.press_edit(preview, button_data(preview, "ok:"))
    assert "queued for 3 subscribers" in done["text"]
    for chat, text in (
        (english, "He was moved to another prison."),
        (russian, "Его перевели в другую тюрьму."),
        (kazakh, "Ол басқа түрмеге ауыстырылды."),
    ):
        [alert] = [
            as_seen(m)
            for m in server.control.wait(chat.user_id, since=since[chat.user_id], timeout=10)
        ]
        assert text in alert["text"]
    with sessions() as session:
        assert (
            len(session.scalars(select(Alert).where(Alert.kind == "further_information")).all())
            == 1
        )


def test_the_preview_counts_readers_per_language_and_names_who_gets_a_fallback(
    coordinator: Chat, server: RunningServer, sessions: sessionmaker[Session]
) -> None:
    _followers(server, {51: "ru", 52: "ru", 53: "kk", 54: "en"}, "all")
    with sessions.begin() as session:  # the whole case in Russian, nothing in Kazakh
        case = cases.get_case(session, REF)
        for path in translations.missing(case, "ru"):
            where = translations.parse_path(path)
            translations.set_text(session, staff.SYSTEM, case, where, "ru", f"Текст: {path}")
        gaps = translations.missing(case, "kk")
    [preview] = coordinator.say(f"/publish {REF}")
    text = preview["text"]
    assert "Readers by language" in text
    assert "English: 1 reader — ✅ complete" in text
    assert "Russian: 2 readers — ✅ complete" in text
    assert f"Kazakh: 1 reader — ⚠️ {len(gaps)} texts of the case not translated." in text
    assert "1 reader will get those parts in Russian." in text  # kk reads ru before en
