"""Every text exists in English and Russian, Kazakh where it matters, and renders.

The sets are computed when the tests run, so a template added tomorrow is checked too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jinja2 import meta

from bot.domain.actions import CaseStats
from bot.domain.views import PublicCase, PublicPerson, PublicTarget
from bot.store.models import OUTCOMES, PERSON_STATUSES
from bot.texts import LANGUAGES, TEMPLATES_DIR, environment, render

# Kazakh falls back to Russian, then English; these few must exist in Kazakh itself.
KAZAKH_REQUIRED = ("start.html", "help.html")
# What Telegram's HTML parse mode accepts.
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
TELEGRAM_TAGS |= {"tg-spoiler", "span", "blockquote", "tg-emoji"}


def _templates(lang: str) -> set[str]:
    root = TEMPLATES_DIR / lang
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _all_templates() -> list[tuple[str, str]]:
    return [(lang, name) for lang in LANGUAGES for name in sorted(_templates(lang))]


def _variables(lang: str, name: str) -> set[str]:
    """The names a template needs from its caller, including those of what it includes."""
    env = environment(lang)
    source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    tree = env.parse(source)
    names = set(meta.find_undeclared_variables(tree))
    for included in meta.find_referenced_templates(tree):
        names |= {"<computed include>"} if included is None else _variables(lang, included)
    return names


def test_every_english_text_exists_in_russian() -> None:
    missing = sorted(_templates("en") - _templates("ru"))
    assert missing == [], f"add templates/ru/ for: {missing}"


def test_every_russian_text_exists_in_english() -> None:
    missing = sorted(_templates("ru") - _templates("en"))
    assert missing == [], f"add templates/en/ for: {missing}"


def test_the_welcome_and_help_texts_exist_in_kazakh() -> None:
    required = {name for name in _templates("en") if Path(name).name in KAZAKH_REQUIRED}
    missing = sorted(required - _templates("kk"))
    assert missing == [], f"add templates/kk/ for: {missing}"


def test_every_kazakh_text_translates_an_english_one() -> None:
    orphans = sorted(_templates("kk") - _templates("en"))
    assert orphans == []


def test_kazakh_falls_back_to_russian_where_it_has_no_text_of_its_own() -> None:
    untranslated = [
        name
        for name in sorted(_templates("ru") - _templates("kk"))
        if not _variables("ru", name) and render(name, "ru") != render(name, "en")
    ]
    assert untranslated
    for name in untranslated:
        assert render(name, "kk") == render(name, "ru"), name


@pytest.mark.parametrize("status", PERSON_STATUSES)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_person_status_has_a_name(lang: str, status: str) -> None:
    assert render(f"statuses/{status}.txt", lang)


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_outcome_has_a_name(lang: str, outcome: str) -> None:
    assert render(f"outcomes/{outcome}.txt", lang)


@pytest.mark.parametrize(("lang", "name"), _all_templates())
def test_every_template_compiles(lang: str, name: str) -> None:
    environment(lang).get_template(name)


@pytest.mark.parametrize(
    ("lang", "name"),
    [(lang, name) for lang, name in _all_templates() if not _variables(lang, name)],
)
def test_every_template_without_variables_renders_to_some_text(lang: str, name: str) -> None:
    text = render(name, lang)
    assert text
    if name.endswith(".html"):
        _assert_telegram_html(text)


# --- texts that take a case -------------------------------------------------------------

DEADLINE = datetime(2026, 12, 1, 18, 59, tzinfo=UTC)
CASE = PublicCase(
    ref="KZ-2026-001",
    title="Family of Dulat Agadil under surveillance",
    country="KZ",
    timezone="Asia/Almaty",
    summary="The family is under surveillance.",
    background="Background.",
    themes=("surveillance", "reprisals"),
    languages=("kk", "ru", "en"),
    deadline=DEADLINE,
    status="closed",
    outcome="released",
    fi_count=2,
    people=(
        PublicPerson(1, "Zhanbolat", "he", 30, "driver", None, "under_surveillance"),
        PublicPerson(2, "Protesters", None, None, None, 1000, "detained"),
    ),
    targets=(
        PublicTarget(
            "primary",
            "Prosecutor General",
            "Prosecutor General (illustrative)",
            "Office of the Prosecutor General",
            "KZ",
            "Astana",
            "prosecutor@example.org",
            "Dear Prosecutor General",
            "ru",
        ),
    ),
)
STATS = CaseStats("KZ-2026-001", "active", 10, 7, 1, 1, 1, 1, 0, 4)
CASE_CONTEXTS = {
    "alerts/new.html": {"case": CASE},
    "alerts/further_information.html": {"case": CASE, "text": "Moved to <b>prison</b> 5."},
    "alerts/closed.html": {"case": CASE, "text": "Released on bail."},
    "alerts/deadline_reminder.html": {"case": CASE, "left": timedelta(hours=6)},
    "alerts/_people.html": {"case": CASE},
    "cli/case_line.txt": {"case": CASE},
    "cli/case_show.txt": {"case": CASE, "stats": STATS, "internal_index": "EUR 57/001/2026"},
    "cli/published.txt": {"ref": CASE.ref, "recipients": 1000},
}


@pytest.mark.parametrize("name", sorted(CASE_CONTEXTS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_case_texts_render_the_case_in_every_language(lang: str, name: str) -> None:
    text = render(name, lang, **CASE_CONTEXTS[name])
    assert CASE.ref in text or "Zhanbolat" in text
    if name.endswith(".html"):
        _assert_telegram_html(text)


def test_alert_text_escapes_what_came_from_people() -> None:
    name = "alerts/further_information.html"
    text = render(name, "en", **CASE_CONTEXTS[name])
    assert "Moved to &lt;b&gt;prison&lt;/b&gt; 5." in text


def test_a_deadline_is_shown_in_the_cases_time_zone() -> None:
    text = render("alerts/new.html", "en", case=CASE)
    assert "1 December 2026, 23:59 (Asia/Almaty)" in text


def test_a_deadline_is_shown_in_the_readers_time_zone_too() -> None:
    text = render("alerts/new.html", "en", case=CASE, tz="Europe/Berlin")
    assert "1 December 2026, 23:59 (Asia/Almaty) · 1 December 2026, 19:59 (Europe/Berlin)" in text


@pytest.mark.parametrize(("lang", "left"), [("en", "6 hours"), ("ru", "6 часов")])
def test_a_reminder_says_how_long_is_left_in_the_readers_language(lang: str, left: str) -> None:
    name = "alerts/deadline_reminder.html"
    assert left in render(name, lang, **CASE_CONTEXTS[name])


def test_a_group_is_shown_with_its_size() -> None:
    assert "1000" in render("alerts/_people.html", "ru", case=CASE)


def _assert_telegram_html(text: str) -> None:
    tags = {m.lower() for m in re.findall(r"</?([a-zA-Z][\w-]*)", text)}
    assert tags <= TELEGRAM_TAGS, tags - TELEGRAM_TAGS
