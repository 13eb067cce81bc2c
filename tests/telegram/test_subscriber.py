"""Subscribers through the local Bot API server: start, browse, follow, act, settings, stop."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, staff
from bot.store.models import Action, Scope, Subscriber
from tests.telegram.conftest import published_case
from tests.telegram.harness import Chat, button_data, buttons


def _publish_all(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for ref in ("KZ-2026-001", "KZ-2026-002", "KZ-2026-003", "KZ-2026-004"):
            cases.publish(session, staff.SYSTEM, ref)


def test_start_welcomes_and_offers_languages(chat: Chat) -> None:
    [welcome] = chat.say("/start")
    assert "Welcome to uabot" in welcome["text"]
    assert set(buttons(welcome).values()) == {"lang:en", "lang:ru", "lang:kk"}


def test_choosing_russian_switches_every_later_answer(chat: Chat) -> None:
    [welcome] = chat.say("/start")
    [done] = chat.press(welcome, "lang:ru")
    assert "русский" in done["text"]
    assert "срочные акции" in chat.text("/help")


def test_kazakh_speakers_get_start_and_help_in_kazakh(chat: Chat) -> None:
    chat.language = "kk"
    assert "қош келдіңіз" in chat.text("/start")
    assert "шұғыл әрекеттер" in chat.text("/help")


def test_cases_lists_active_cases_and_opens_one(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _publish_all(sessions)
    [listing] = chat.say("/cases")
    assert "KZ-2026-001" in listing["text"] and "KZ-2026-004" in listing["text"]
    [case] = chat.press(listing, button_data(listing, "case:KZ-2026-001"))
    assert "Family of Dulat Agadil under surveillance" in case["text"]
    assert "Prosecutor General" in case["text"]
    # one person, one target per line: templates keep their line breaks
    assert "\n• Minister of Internal Affairs" in case["text"]
    assert "\nTap a case to open it." in listing["text"]
    assert set(buttons(case).values()) == {
        "follow:KZ-2026-001",
        "letter:KZ-2026-001",
        "acted:KZ-2026-001",
        "more:KZ-2026-001",
        "history:KZ-2026-001",
    }


def test_cases_are_paginated_with_buttons(chat: Chat, sessions: sessionmaker[Session]) -> None:
    _publish_all(sessions)
    for i in range(3):
        published_case(sessions, title=f"Extra case {i}", country="KG")
    [first] = chat.say("/cases")
    assert "page 1 of 2" in first["text"]
    second = chat.press_edit(first, button_data(first, "cases:1"))
    assert "page 2 of 2" in second["text"]


def test_follow_button_and_mine_show_the_subscription(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _publish_all(sessions)
    [case] = chat.say("/case KZ-2026-002")
    [followed] = chat.press(case, "follow:KZ-2026-002")
    assert "You now follow case KZ-2026-002" in followed["text"]
    assert "case KZ-2026-002" in chat.text("/mine")
    assert "the country Kazakhstan" in chat.text("/follow country kz")
    assert "You no longer follow case KZ-2026-002" in chat.text("/unfollow KZ-2026-002")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Scope)) == 1


def test_acting_twice_counts_once(chat: Chat, sessions: sessionmaker[Session]) -> None:
    _publish_all(sessions)
    [case] = chat.say("/case KZ-2026-001")
    [first] = chat.press(case, "acted:KZ-2026-001")
    [second] = chat.press(case, "acted:KZ-2026-001")
    assert "Thank you! Your action on KZ-2026-001 is counted." in first["text"]
    assert "You already told us" in second["text"]
    assert "1 supporter has taken action" in second["text"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Action)) == 1


def test_settings_switch_to_daily_digest(chat: Chat, sessions: sessionmaker[Session]) -> None:
    [settings] = chat.say("/settings")
    [done] = chat.press(settings, "mode:digest")
    assert "daily digest" in done["text"]
    with sessions() as session:
        assert session.scalar(select(Subscriber.mode)) == "digest"


def test_stop_asks_first_then_erases_the_subscriber(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    chat.say("/follow all")
    [question] = chat.say("/stop")
    assert "cannot be undone" in question["text"] and "everything you follow" in question["text"]
    kept = chat.press_edit(question, "stop:no")
    assert "Nothing was erased" in kept["text"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 1
    [question] = chat.say("/stop")
    erased = chat.press_edit(question, "stop:yes")
    assert "erased your chat" in erased["text"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_user_text_is_shown_literally_never_as_markup(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    ref = published_case(sessions, title="<b>*_[x](y)", summary="a & b < c", person="<i>Name</i>")
    text = chat.text(f"/case {ref}")
    assert "<b>*_[x](y)" in text and "a & b < c" in text and "<i>Name</i>" in text


def test_a_long_case_is_split_under_telegrams_limit(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    ref = published_case(sessions, title="Long", summary="\n\n".join(["word " * 150] * 10))
    messages = chat.say(f"/case {ref}", expect=2)
    assert len(messages) >= 2 and all(len(m["text"]) <= 4096 for m in messages)
    assert buttons(messages[-1])  # the keyboard rides on the last part


def test_a_forged_or_unknown_button_has_expired(chat: Chat, server) -> None:
    [welcome] = chat.say("/start")
    forged = ("zzz", "case:../../etc", "acted:KZ-1", "cases:x", "lang:xx", "mode:", "x" * 64)
    for data in forged:
        [answer] = chat.press(welcome, data)
        assert "This button has expired" in answer["text"], data
    toasts = [a["text"] for a in server.control.callback_answers()]
    assert toasts.count("This button has expired.") == len(forged)


def test_a_staff_button_pressed_by_a_subscriber_is_refused(chat: Chat) -> None:
    [welcome] = chat.say("/start")
    [answer] = chat.press(welcome, "ok:forged")
    assert "This command is for coordinators" in answer["text"]


def test_settings_set_the_time_zone_and_deadlines_show_in_it_too(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _publish_all(sessions)
    assert "Your time zone is now Europe/Berlin" in chat.text("/settings tz Europe/Berlin")
    assert "digest arrives at 18:00 (Berlin)" in chat.text("/settings hour 18")
    text = chat.text("/case KZ-2026-001")
    assert "(Almaty) · " in text and "(Berlin)" in text
    with sessions() as session:
        subscriber = session.scalars(select(Subscriber)).one()
        assert (subscriber.timezone, subscriber.digest_hour) == ("Europe/Berlin", 18)


def test_an_unknown_command_and_plain_text_are_answered_without_echo(chat: Chat) -> None:
    unknown = chat.text("/foo secret-word")
    assert "I don't know that command" in unknown and "/help" in unknown
    assert "secret-word" not in unknown
    hint = chat.text("hello")
    assert "I answer commands" in hint and "/cases" in hint


def test_an_unknown_command_and_plain_text_are_answered_in_the_readers_language(
    chat: Chat,
) -> None:
    chat.language = "ru"
    assert "Такой команды нет" in chat.text("/foo")
    chat.language = "kk"
    assert "командаларға жауап беремін" in chat.text("сәлем")


def test_a_reference_typed_with_cyrillic_letters_or_without_hyphens_finds_the_case(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _publish_all(sessions)
    for typed in ("КZ-2026-001", "kz2026001", "KZ-2026-1"):  # the first К is Cyrillic
        assert "Family of Dulat Agadil under surveillance" in chat.text(f"/case {typed}")


def test_a_mistyped_reference_suggests_the_nearest_case_a_subscriber_may_see(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-001")  # KZ-2026-002 stays a draft
    answer = chat.text("/case KZ-2062-001")
    assert "There is no case KZ-2062-001" in answer and "Did you mean KZ-2026-001?" in answer
    draft = chat.text("/case KZ-2062-002")
    assert "KZ-2026-002" not in draft
    # a draft's reference is answered exactly as an unknown one
    unknown = chat.text("/case KZ-2026-009").replace("KZ-2026-009", "REF")
    drafted = chat.text("/case KZ-2026-002").replace("KZ-2026-002", "REF")
    assert drafted == unknown


def test_a_late_joiner_reads_the_background_and_every_further_information(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-001")
        cases.further_information(session, staff.SYSTEM, "KZ-2026-001", "Moved to Pavlodar.")
        cases.further_information(session, staff.SYSTEM, "KZ-2026-001", "Hearing on Monday.")
    [card] = chat.say("/case KZ-2026-001")
    more = chat.press(card, "more:KZ-2026-001")[0]["text"]
    assert "background" in more and len(more) > 40
    story = chat.press(card, "history:KZ-2026-001")[0]["text"]
    assert "urgent action issued" in story
    first, second = story.index("Moved to Pavlodar."), story.index("Hearing on Monday.")
    assert first < second and "further information 2" in story
    assert "— the story so far" in story
    # drafts have no background or history for a subscriber
    [expired] = chat.press(card, "more:KZ-2026-002")
    assert "expired" in expired["text"]
