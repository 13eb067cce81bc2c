"""Acting on a case from Telegram: who signs, the one-tap e-mail and its .eml fallback, the
social post and web form, how a supporter acted, and a closed case's outcome."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import get_settings
from bot.domain import cases, letters, staff
from bot.letters.mailto import MAIL_CLIENT_LIMIT
from bot.sandbox.local import RunningServer, WaitTimedOut
from bot.store.models import Action, Subscriber
from tests.letters.conftest import pdf_text
from tests.telegram.harness import Chat, button_data, buttons

REF = "KZ-2026-001"
# Letters come with PDFs, laid out in a process of their own that the first one starts: a
# wait that a loaded machine cannot miss (the answer itself comes as soon as it is ready).
LETTERS_WAIT = 30.0
SHORT_RU = "{{ salutation }}\n\nПрошу защитить этих людей."


@pytest.fixture
def mail_page(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The one-tap e-mail page, served by the local server as an operator would host it."""
    url = f"{server.url}/mail.html"
    monkeypatch.setenv("MAIL_PAGE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _publish(sessions: sessionmaker[Session], ref: str = REF) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, ref)


def _letter_messages(chat: Chat, command: str, expect: int) -> list[dict]:
    return chat.say(command, expect=expect)


def test_the_name_set_in_settings_signs_the_letter_text_and_its_pdf(
    chat: Chat, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    _publish(sessions)
    saved = chat.text("/settings name Aigerim Saparova")
    assert "Your letters are signed: Aigerim Saparova" in saved
    chat.say("/settings town Almaty")
    # two targets: text, PDF, .eml each (no mail page here), then the closing message
    messages = chat.say(f"/letter {REF} en", expect=7, timeout=LETTERS_WAIT)
    text = messages[0]["text"]
    assert "Aigerim Saparova\nAlmaty" in text
    pdf = next(
        m["document"]
        for m in messages
        if (m["document"] or {}).get("file_name", "").endswith(".pdf")
    )
    assert "Aigerim Saparova" in pdf_text(server.control.document(pdf["file_id"]))
    assert "Signed: Aigerim Saparova" in messages[-1]["text"]
    assert not any(d.startswith("sign:") for d in buttons(messages[-1]).values())


def test_get_letter_gives_the_officials_language_first_and_offers_the_readers_and_a_signer(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _publish(sessions)
    [case] = chat.say(f"/case {REF}")
    messages = chat.press(case, button_data(case, "letter:"), expect=7, timeout=LETTERS_WAIT)
    assert "(Russian)" in messages[0]["text"]  # the demo officials prefer Russian
    assert "the language this official prefers" in messages[0]["text"]
    end = messages[-1]
    assert "sign them by hand" in end["text"]
    assert button_data(end, f"letter:{REF}:") == f"letter:{REF}:en"  # the reader's own
    [ask] = chat.press(end, button_data(end, "sign:"))
    assert "Send your name" in ask["text"]
    [saved] = chat.say("Дана Жанай")  # the next message is the name
    assert "Your letters are signed: Дана Жанай" in saved["text"]
    with sessions() as session:
        assert session.scalars(select(Subscriber.signature)).one() == "Дана Жанай"


def test_a_bad_email_is_refused_in_the_readers_language_and_clear_removes_the_signer(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    chat.language = "ru"
    chat.say("/start")
    refused = chat.text("/settings email not-an-address")
    assert "Это не адрес электронной почты" in refused
    chat.say("/settings email aigerim@example.org")
    chat.say("/settings name Айгерим")
    chat.say("/settings clear")
    with sessions() as session:
        row = session.scalars(select(Subscriber)).one()
        assert (row.signature, row.sender_town, row.sender_email) == (None, None, None)


def test_a_long_cyrillic_letter_falls_back_to_the_eml_beside_the_web_form_and_post(
    coordinator: Chat,
    chat: Chat,
    sessions: sessionmaker[Session],
    server: RunningServer,
    mail_page: str,
) -> None:
    _publish(sessions)
    coordinator.say(f"/edittarget {REF} 1 handle @prokuratura_kz")
    saved = coordinator.text(f"/edittarget {REF} 1 web_form https://gov.example.org/appeal")
    assert "https://gov.example.org/appeal" in saved
    assert "not valid" in coordinator.text(f"/edittarget {REF} 1 web_form javascript:alert(1)")
    messages = chat.say(f"/letter {REF} ru", expect=7, timeout=LETTERS_WAIT)
    first = messages[0]
    links = buttons(first)
    assert not any(url.startswith(mail_page) for url in links.values())
    assert "too long for a one-tap e-mail" in first["text"]
    eml = messages[2]["document"]
    assert eml["file_name"].endswith(".eml")
    assert "Content-Language: ru" in server.control.document(eml["file_id"]).decode()
    assert links["🌐 The official's web form"] == "https://gov.example.org/appeal"
    post = parse_qs(urlsplit(links["📣 Post to @prokuratura_kz"]).query)["text"][0]
    assert post.startswith("@prokuratura_kz ") and post in first["text"]


def test_a_short_cyrillic_letter_opens_in_one_tap_with_its_full_body(
    chat: Chat, sessions: sessionmaker[Session], mail_page: str
) -> None:
    _publish(sessions)
    with sessions.begin() as session:
        letters.set_letter(session, staff.SYSTEM, REF, "ru", SHORT_RU)
    messages = chat.say(
        f"/letter {REF} ru", expect=5, timeout=LETTERS_WAIT
    )  # text + PDF per target, the end
    first = messages[0]
    url = next(d for d in buttons(first).values() if d.startswith(mail_page))
    link = url.partition("#")[2]
    assert len(link) <= MAIL_CLIENT_LIMIT
    body = parse_qs(urlsplit(link).query)["body"][0]
    assert "Прошу защитить этих людей." in body
    assert body.replace("\r\n", "\n") in first["text"]  # the whole letter, nothing cut
    assert not any((m["document"] or {}).get("file_name", "").endswith(".eml") for m in messages)


def test_a_closed_cases_get_letter_gives_the_outcome_and_no_letter(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _publish(sessions)
    [case] = chat.say(f"/case {REF}")
    with sessions.begin() as session:
        cases.close(
            session, staff.SYSTEM, REF, "released", {"en": "Freed today.", "ru": "Освобождены."}
        )
    chat.language = "ru"
    [answer] = chat.press(case, button_data(case, "letter:"))
    assert "Освобождены." in answer["text"]
    assert not answer["document"]
    with pytest.raises(WaitTimedOut):  # nothing after it: no letter, no PDF
        chat.control.wait(chat.user_id, count=1, timeout=0.5, since=answer["message_id"])


def test_the_how_buttons_record_how_after_the_action_is_counted(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _publish(sessions)
    [thanks] = chat.say(f"/acted {REF}")
    with sessions() as session:
        assert session.scalars(select(Action.how)).one() == "other"  # counted at the first tap
    noted = chat.press_edit(thanks, f"how:{REF}:email")
    assert "by e-mail" in noted["text"]
    with sessions() as session:
        assert session.scalars(select(Action.how)).one() == "email"


def test_a_question_left_for_another_command_is_not_answered_by_a_later_message(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    [settings] = chat.say("/settings")
    [ask] = chat.press(settings, button_data(settings, "sign:"))
    assert "Send your name" in ask["text"]
    chat.say("/help")
    [answer] = chat.say("Hello there")
    assert "Your letters are signed" not in answer["text"]
    with sessions() as session:
        assert session.scalars(select(Subscriber.signature)).one() is None
