"""Subscribers, their scopes and modes, and erasure on /stop."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import actions, audit, subscriptions
from bot.domain.errors import InvalidCountry, InvalidValue, NotSubscribed, UnknownCase, UnknownTheme
from bot.domain.staff import Actor
from bot.store.models import Action, Base, Scope, Subscriber
from tests.domain.factories import active, count, draft, dump, refused

REF = "KZ-2026-101"
CHAT = 7_123_456_789


def _scopes(sessions: sessionmaker[Session], chat_id: int = CHAT) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(s.kind, s.value) for s in subscriptions.scopes_of(session, chat_id)]


def test_following_creates_the_subscriber_in_their_language(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        result = subscriptions.follow(session, CHAT, "all", language="ru-RU")
    assert (result.kind, result.value, result.created) == ("all", "*", True)
    with sessions() as session:
        subscriber = subscriptions.get_subscriber(session, CHAT)
        assert subscriber is not None
        assert (subscriber.language, subscriber.mode, subscriber.status) == (
            "ru",
            "immediate",
            "active",
        )


def test_an_unsupported_language_falls_back_to_english(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert subscriptions.follow(session, CHAT, "all", language="fr").subscriber.language == "en"


def test_following_the_same_thing_twice_keeps_one_scope(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        subscriptions.follow(session, CHAT, "country", "KZ")
    with sessions.begin() as session:
        again = subscriptions.follow(session, CHAT, " Country ", "kz")
    assert again.created is False
    assert _scopes(sessions) == [("country", "KZ")]


def test_a_subscriber_may_follow_cases_countries_and_themes_at_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, REF)
        subscriptions.follow(session, CHAT, "case", REF.lower())
        subscriptions.follow(session, CHAT, "theme", " Torture ")
        subscriptions.follow(session, CHAT, "country", "ru")
    assert _scopes(sessions) == [("case", REF), ("country", "RU"), ("theme", "torture")]
    assert count(sessions, Subscriber) == 1


@pytest.mark.parametrize(
    ("kind", "value", "error"),
    [
        ("country", "Narnia", InvalidCountry),
        ("theme", "knitting", UnknownTheme),
        ("planet", "mars", InvalidValue),
        ("case", "KZ-2026-999", UnknownCase),
        ("case", REF, UnknownCase),  # a draft: subscribers cannot see it
    ],
    ids=["country", "theme", "kind", "unknown-case", "draft-case"],
)
def test_following_something_invalid_is_refused_and_creates_no_subscriber(
    sessions: sessionmaker[Session], kind: str, value: str, error: type[Exception]
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    refused(sessions, error, lambda s: subscriptions.follow(s, CHAT, kind, value))
    assert count(sessions, Subscriber) == 0


def test_unfollowing_removes_only_that_scope(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        subscriptions.follow(session, CHAT, "all")
        subscriptions.follow(session, CHAT, "theme", "torture")
    with sessions.begin() as session:
        subscriptions.unfollow(session, CHAT, "theme", "TORTURE")
    assert _scopes(sessions) == [("all", "*")]


@pytest.mark.parametrize("chat_id", [CHAT, 99], ids=["not-following-it", "unknown-chat"])
def test_unfollowing_what_is_not_followed_is_refused(
    sessions: sessionmaker[Session], chat_id: int
) -> None:
    with sessions.begin() as session:
        subscriptions.follow(session, CHAT, "all")
    refused(
        sessions, NotSubscribed, lambda s: subscriptions.unfollow(s, chat_id, "theme", "torture")
    )


def test_an_unknown_chat_follows_nothing(sessions: sessionmaker[Session]) -> None:
    assert _scopes(sessions, 404) == []


def test_switching_to_the_daily_digest(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        subscriptions.set_mode(session, CHAT, "digest")
    with sessions() as session:
        subscriber = subscriptions.get_subscriber(session, CHAT)
        assert subscriber is not None
        assert subscriber.mode == "digest"


def test_an_unknown_mode_is_refused(sessions: sessionmaker[Session]) -> None:
    error = refused(sessions, InvalidValue, lambda s: subscriptions.set_mode(s, CHAT, "hourly"))
    assert "digest" in error.message()


def test_setting_the_language_normalises_it(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert subscriptions.set_language(session, CHAT, "KK").language == "kk"
        assert subscriptions.set_language(session, CHAT, "de").language == "en"


@pytest.mark.parametrize("status", ["stopped", "blocked", "gone"])
def test_a_subscriber_who_writes_again_is_active_again(
    sessions: sessionmaker[Session], status: str
) -> None:
    with sessions.begin() as session:
        subscriptions.follow(session, CHAT, "all")
        session.execute(update(Subscriber).values(status=status))
    with sessions.begin() as session:
        assert subscriptions.ensure_subscriber(session, CHAT).status == "active"


# --- erasure -------------------------------------------------------------------------------


def _all_values(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [
            str(value)
            for table in Base.metadata.sorted_tables
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"'))  # noqa: S608
            for value in row
        ]


def _erasable(session: Session) -> None:
    """A subscriber with scopes, a delivery, an action and a refused staff command."""
    subscriptions.follow(session, CHAT, "all", language="ru")
    subscriptions.follow(session, CHAT, "theme", "detention")
    active(session, REF)
    actions.record_action(session, CHAT, REF, "email")
    # What the bot writes when this person tries a coordinator command.
    audit.record(session, Actor(CHAT), "refused.publish", case_ref=REF, allowed=False)
    subscriptions.follow(session, 555, "all")


def test_erasure_leaves_the_chat_id_in_no_table(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    with sessions.begin() as session:
        _erasable(session)
    assert str(CHAT) in _all_values(engine)
    with sessions.begin() as session:
        assert subscriptions.erase(session, CHAT) is True
    assert not any(str(CHAT) in value for value in _all_values(engine))


def test_erasure_keeps_the_action_as_an_anonymous_count(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _erasable(session)
    with sessions.begin() as session:
        subscriptions.erase(session, CHAT)
    with sessions() as session:
        assert session.scalars(select(Action.subscriber_id)).all() == [None]
        assert actions.case_stats(session, REF).actions == 1


def test_erasure_removes_the_subscribers_rows_and_nothing_of_others(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _erasable(session)
    before: dict[str, Any] = dump(sessions)
    with sessions.begin() as session:
        subscriptions.erase(session, CHAT)
    after = dump(sessions)
    assert len(after["subscribers"]) == len(before["subscribers"]) - 1
    assert len(after["scopes"]) == len(before["scopes"]) - 2
    assert len(after["deliveries"]) == len(before["deliveries"]) - 1
    assert len(after["actions"]) == len(before["actions"])
    assert _scopes(sessions, 555) == [("all", "*")]


def test_erasing_an_unknown_chat_changes_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        subscriptions.follow(session, 555, "all")
    before = dump(sessions)
    with sessions.begin() as session:
        assert subscriptions.erase(session, CHAT) is False
    assert dump(sessions) == before


def test_an_erased_chat_that_returns_starts_from_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        subscriptions.follow(session, CHAT, "theme", "torture", language="ru")
        subscriptions.set_mode(session, CHAT, "digest")
    with sessions.begin() as session:
        subscriptions.erase(session, CHAT)
    with sessions.begin() as session:
        subscriber = subscriptions.ensure_subscriber(session, CHAT)
        assert (subscriber.language, subscriber.mode) == ("en", "immediate")
    assert _scopes(sessions) == []
    with sessions() as session:
        assert session.scalars(select(Scope)).all() == []
