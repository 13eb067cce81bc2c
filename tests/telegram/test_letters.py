"""Letters through the bot: /letter, the "Get letter" button, /letter_set, /letters_zip."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import get_settings
from bot.domain import cases, staff
from bot.store.models import ModelLetter
from tests.telegram.conftest import COORDINATOR
from tests.telegram.harness import Chat, as_seen, button_data, buttons


def _publish(sessions: sessionmaker[Session], ref: str = "KZ-2026-001") -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, ref)


def test_letter_sends_the_text_and_the_pdf_for_each_primary_target(
    chat: Chat, sessions: sessionmaker[Session], server
) -> None:
    _publish(sessions)
    # per target: the text, the PDF and (too long for a one-tap e-mail) the .eml; then the end
    messages = chat.say("/letter KZ-2026-001 ru", expect=7)
    texts = [m for m in messages if not m["document"]]
    pdfs = [
        m["document"]
        for m in messages
        if (m["document"] or {}).get("mime_type") == "application/pdf"
    ]
    assert "Prosecutor General" in texts[0]["text"]
    assert len(pdfs) == 2 and all(d["file_name"].endswith(".pdf") for d in pdfs)
    assert server.control.document(pdfs[0]["file_id"]).startswith(b"%PDF")


def test_get_letter_button_uses_the_subscribers_language(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _publish(sessions)
    chat.language = "ru"
    [case] = chat.say("/case KZ-2026-001")
    messages = chat.press(case, button_data(case, "letter:"), expect=7)
    assert "Письмо" in messages[0]["text"]
    assert "_ru_" in messages[1]["document"]["file_name"]


def test_a_language_the_case_lacks_lists_the_available_ones(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _publish(sessions)
    answer = chat.text("/letter KZ-2026-001 fr")
    assert "kk" in answer and "ru" in answer and "en" in answer


def test_letter_set_previews_then_saves_on_confirm(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    [preview] = coordinator.say(
        "/letter_set KZ-2026-001 en\n{{ salutation }},\nPlease protect {{ people }}."
    )
    assert "Please protect" in preview["text"] and "Dear Prosecutor General" in preview["text"]
    with sessions() as session:
        assert session.scalar(select(ModelLetter)) is None
    saved = coordinator.press_edit(preview, button_data(preview, "ok:"))
    assert "model letter of KZ-2026-001 is saved" in saved["text"]
    with sessions() as session:
        assert "Please protect" in session.scalars(select(ModelLetter.body)).one()


def test_letters_zip_asks_who_signs_and_gives_every_letter_signed_so(
    coordinator: Chat, server
) -> None:
    [ask] = coordinator.say("/letters_zip KZ-2026-001")
    assert "Who signs the exported letters" in ask["text"]
    assert button_data(ask, "zip:") == "zip:KZ-2026-001"  # or none signs: a line to sign
    [message] = coordinator.say("Qaharman Foundation\nAlmaty, info@example.org")
    archive = zipfile.ZipFile(io.BytesIO(server.control.document(message["document"]["file_id"])))
    names = archive.namelist()
    assert any(n.endswith(".pdf") for n in names) and any(n.endswith(".eml") for n in names)
    text = archive.read(next(n for n in names if n.endswith(".txt"))).decode()
    assert "Qaharman Foundation" in text and "Almaty, info@example.org" in text


NESTED_LOOPS = "{% for i in range(30000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}"


def test_a_hostile_body_is_refused_at_preview_and_never_stored(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    coordinator.language = "ru"
    [refused] = coordinator.say(f"/letter_set KZ-2026-001 en\n{NESTED_LOOPS}")
    assert "не сохранено: для его подготовки нужно больше 200000 шагов" in refused["text"]
    assert not buttons(refused)  # nothing to confirm
    with sessions() as session:
        assert session.scalar(select(ModelLetter)) is None


@pytest.fixture
def slow_bound(monkeypatch: pytest.MonkeyPatch) -> Iterator[float]:
    """Bodies stopped only by time, after 5 s: long enough to ask for /help meanwhile."""
    monkeypatch.setenv("LETTER_RENDER_SECONDS", "5")
    monkeypatch.setenv("LETTER_RENDER_STEPS", str(10**12))
    get_settings.cache_clear()
    yield 5.0
    get_settings.cache_clear()


def test_help_is_answered_while_a_hostile_body_renders(
    slow_bound: float, coordinator: Chat, chat: Chat, sessions: sessionmaker[Session], server
) -> None:
    sent = server.control.send_text(COORDINATOR, f"/letter_set KZ-2026-001 en\n{NESTED_LOOPS}")
    help_ = chat.text("/help", timeout=slow_bound)
    assert "/cases" in help_
    # /help came back while the body was still rendering: its refusal has not come yet.
    assert server.control.messages(COORDINATOR)[-1]["message_id"] == sent["message_id"]
    [refused] = [
        as_seen(m)
        for m in server.control.wait(COORDINATOR, count=1, timeout=60, since=sent["message_id"])
    ]
    assert "preparing it took longer than 5 seconds" in refused["text"]
    with sessions() as session:
        assert session.scalar(select(ModelLetter)) is None
