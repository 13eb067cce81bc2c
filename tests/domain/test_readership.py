"""Who reads an alert in which language, and the next text a translator is asked for."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import alerts, subscriptions, translations
from bot.store.models import Subscriber
from tests.domain.factories import COORDINATOR, active

REF = "KZ-2026-101"


def test_readers_are_counted_per_language_among_active_followers_only(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        case = active(session, REF)
        for chat_id, language in ((1, "ru"), (2, "ru"), (3, "kk"), (4, "en"), (5, "kk")):
            subscriptions.follow(session, chat_id, "all", language=language)
        subscriptions.follow(session, 6, "country", "RU", language="kk")  # not this case
        session.execute(update(Subscriber).where(Subscriber.chat_id == 5).values(status="stopped"))
        assert alerts.readers_by_language(session, case) == {"ru": 2, "kk": 1, "en": 1}


def test_the_readership_says_whose_text_is_missing_and_where_they_fall_back(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        case = active(session, REF)
        subscriptions.follow(session, 1, "all", language="kk")
        title = translations.parse_path("title")
        translations.set_text(session, COORDINATOR, case, title, "ru", "Заголовок")
        text = {"en": "Moved to another prison.", "ru": "Переведён в другую тюрьму."}
        lines = {r.language: r for r in alerts.readership(session, case, "closed", text)}
        assert lines["kk"].readers == 1 and lines["kk"].text_given is False
        assert lines["kk"].fallback == "ru"  # kk reads ru before en: the title and the text
        assert lines["ru"].text_given is True and lines["ru"].missing > 0
        assert not lines["ru"].complete and lines["en"].complete


def test_the_next_missing_text_follows_the_one_skipped_and_wraps_round(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        case = active(session, REF)
        gaps = translations.missing(case, "kk")
        assert translations.next_missing(case, "kk") == gaps[0]
        assert translations.next_missing(case, "kk", after=gaps[0]) == gaps[1]
        assert translations.next_missing(case, "kk", after=gaps[-1]) == gaps[0]
        for path in gaps[1:]:
            where = translations.parse_path(path)
            translations.set_text(session, COORDINATOR, case, where, "kk", "мәтін")
        assert translations.next_missing(case, "kk", after=gaps[0]) is None
