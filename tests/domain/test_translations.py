"""Case content per language: the original in the rows, translations beside them, and the
nearest language for a reader whose own is missing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, translations
from bot.domain.errors import InvalidValue, NotAllowed, OriginalMissing, TextTooLong
from bot.domain.translations import Path, chain, parse_path
from bot.domain.views import public_case
from bot.store.models import Alert, CaseTranslation
from tests.domain.factories import COORDINATOR, NOW, PLAIN, active, draft, refused

REF = "KZ-2026-101"


def _set(session: Session, path: str, lang: str, text: str) -> None:
    case = cases.get_case(session, REF)
    translations.set_text(session, COORDINATOR, case, parse_path(path), lang, text, NOW)


def test_a_reader_gets_their_language_then_the_deployments_order_then_the_original() -> None:
    assert chain("kk", "en") == ("kk", "ru", "en")
    assert chain("ru", "en") == ("ru", "en")
    assert chain("en", "ru") == ("en", "ru")
    assert chain("ru", "kk") == ("ru", "en", "kk")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("title", Path("case", "title")),
        ("people[2].name", Path("person", "name", 2)),
        ("Targets[1].Salutation", Path("target", "salutation", 1)),
        ("targets[1].asks", Path("target", "asks", 1)),
        ("updates[3]", Path("update", "public_text", 3)),
        ("closing", Path("update", "public_text", 0)),
    ],
)
def test_paths_read_as_written_and_print_back(text: str, path: Path) -> None:
    assert parse_path(text) == path
    assert parse_path(str(path)) == path


@pytest.mark.parametrize("text", ["status", "people[1].health", "updates[0]", "targets[1].email"])
def test_a_field_that_is_not_translatable_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_path(text)


def test_each_reader_gets_the_case_in_their_language(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF, title="Activist detained", summary="She was detained.")
        _set(session, "title", "ru", "Задержана активистка")
        _set(session, "summary", "ru", "Её задержали.")
        _set(session, "title", "kk", "Белсенді ұсталды")
        _set(session, "summary", "kk", "Ол ұсталды.")
        _set(session, "people[1].name", "kk", "Әйгерім Мысал")
    with sessions() as session:
        case = cases.get_case(session, REF)
        en, ru, kk = (public_case(case, lang) for lang in ("en", "ru", "kk"))
    assert (en.title, en.summary, en.fallback) == ("Activist detained", "She was detained.", None)
    assert (ru.title, ru.summary) == ("Задержана активистка", "Её задержали.")
    assert (kk.title, kk.summary, kk.people[0].name) == (
        "Белсенді ұсталды",
        "Ол ұсталды.",
        "Әйгерім Мысал",
    )
    # the person's name is not in Russian: the Russian reader gets the original, and is told
    assert ru.people[0].name == "Aigerim Example"
    assert ru.fallback == "en"


def test_a_missing_kazakh_text_falls_back_to_russian_before_english(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF, title="Activist detained")
        for path in translations.missing(cases.get_case(session, REF), "ru"):
            _set(session, path, "ru", f"по-русски: {path}")
    with sessions() as session:
        view = public_case(cases.get_case(session, REF), "kk")
    assert view.title == "по-русски: title"
    assert view.people[0].name == "по-русски: people[1].name"
    assert view.fallback == "ru"


def test_what_is_missing_is_named_by_path(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF, title="Activist detained", summary="She was detained.")
        _set(session, "title", "kk", "Белсенді ұсталды")
    with sessions() as session:
        case = cases.get_case(session, REF)
        kk = translations.missing(case, "kk")
        assert translations.missing(case, "en") == []
    assert "title" not in kk
    assert {"summary", "people[1].name", "targets[1].title"} <= set(kk)
    assert "background" not in kk  # empty in the original: nothing to translate


def test_writing_the_original_language_changes_the_column_not_a_translation(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF, title="Activist detained")
        _set(session, "title", "en", "Activist still detained")
        _set(session, "title", "ru", "Активистка задержана")
        _set(session, "title", "ru", "Активистка всё ещё под стражей")
    with sessions() as session:
        case = cases.get_case(session, REF)
        rows = session.scalars(select(CaseTranslation)).all()
        assert case.title == "Activist still detained"
        assert [(r.field, r.language, r.text, r.translated_by) for r in rows] == [
            ("title", "ru", "Активистка всё ещё под стражей", COORDINATOR.user_id)
        ]


def test_a_target_translation_is_the_targets_whatever_the_case(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        _set(session, "targets[1].title", "ru", "Генеральный прокурор")
        _set(session, "targets[1].addressee", "ru", "Генеральному прокурору")
    with sessions() as session:
        target = public_case(cases.get_case(session, REF), "ru").targets[0]
    assert (target.title, target.addressee) == ("Генеральный прокурор", "Генеральному прокурору")


def test_a_further_information_in_three_languages_is_one_alert_read_in_each(
    sessions: sessionmaker[Session],
) -> None:
    texts = {"en": "She was charged.", "ru": "Ей предъявили обвинение.", "kk": "Оған айып тағылды."}
    with sessions.begin() as session:
        active(session, REF)
        alert_id = cases.further_information(session, COORDINATOR, REF, texts, now=NOW).id
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        case = cases.get_case(session, REF)
        assert translations.current(case, parse_path("updates[1]"), "kk") == texts["kk"]
        assert case.events[-1].public_text == texts["en"]
    for lang, text in texts.items():
        assert text in alert.texts[lang]
    assert "🌐" not in alert.texts["en"]  # the original is complete


def test_a_further_information_without_kazakh_tells_the_kazakh_reader_so(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, REF)
        for path, text in (("title", "Белсенді ұсталды"), ("summary", "Ол ұсталды.")):
            _set(session, path, "kk", text)
        for path, text in (("people[1].name", "Әйгерім"), ("targets[1].title", "Бас прокурор")):
            _set(session, path, "kk", text)
        texts = {"en": "She was charged.", "ru": "Ей предъявили обвинение."}
        alert_id = cases.further_information(session, COORDINATOR, REF, texts, now=NOW).id
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
    assert "Ей предъявили обвинение." in alert.texts["kk"]
    assert "орыс тілінде" in alert.texts["kk"]  # the notice names the language given instead
    # the Russian reader has the update in Russian, but the case's title only in English
    assert "на английском языке" in alert.texts["ru"]


def test_a_further_information_must_have_the_original_language(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, REF)
    error = refused(
        sessions,
        OriginalMissing,
        lambda s: cases.further_information(s, COORDINATOR, REF, {"ru": "Текст"}, now=NOW),
    )
    assert "ағылшын тілінде" in error.message("kk")


def test_a_too_long_translation_and_a_subscriber_are_refused_with_nothing_written(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)

    def too_long(session: Session) -> None:
        _set(session, "title", "ru", "Я" * 201)

    def plain(session: Session) -> None:
        case = cases.get_case(session, REF)
        translations.set_text(session, PLAIN, case, parse_path("title"), "ru", "Текст", NOW)

    refused(sessions, TextTooLong, too_long)
    refused(sessions, NotAllowed, plain)


def test_a_digest_lists_each_case_under_its_title_in_the_readers_language() -> None:
    from bot.domain.scheduled import DigestItem, digest_text

    item = DigestItem("new", REF, "Activist detained", (("kk", "Белсенді ұсталды"),), "en")
    assert "Белсенді ұсталды" in digest_text([item], "kk")
    assert "Activist detained" in digest_text([item], "ru")  # no Russian: the original
    assert "Activist detained" in digest_text([item], "en")


def test_the_deployments_order_decides_the_nearest_language() -> None:
    from bot.languages import CONTENT_ORDER, configure_content_order

    configure_content_order(("kk", "en", "ru"))
    try:
        assert chain("kk", "ru") == ("kk", "en", "ru")
    finally:
        configure_content_order(CONTENT_ORDER)
