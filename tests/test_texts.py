"""One template tree (templates/ui) whose strings the ru and kk catalogs translate, and renders.

The sets are computed when the tests run, so a template or a message added tomorrow is checked too.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import meta

from bot.domain.actions import CaseStats
from bot.domain.views import PublicCase, PublicPerson, PublicTarget
from bot.domain.vocab import THEMES
from bot.store.models import CASE_STATUSES, OUTCOMES, PERSON_STATUSES
from bot.telegram.commands import ADMIN_COMMANDS
from bot.texts import (
    LANGUAGES,
    TEMPLATES_DIR,
    UI_DIR,
    Translator,
    catalog_path,
    environment,
    render,
)

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
# What Telegram's HTML parse mode accepts.
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
TELEGRAM_TAGS |= {"tg-spoiler", "span", "blockquote", "tg-emoji"}


def _templates() -> list[str]:
    return sorted(p.relative_to(UI_DIR).as_posix() for p in UI_DIR.rglob("*") if p.is_file())


def _all_templates() -> list[tuple[str, str]]:
    return [(lang, name) for lang in LANGUAGES for name in _templates()]


def _variables(lang: str, name: str) -> set[str]:
    """The names a template needs from its caller, including those of what it includes."""
    env = environment(lang)
    source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    tree = env.parse(source)
    names = set(meta.find_undeclared_variables(tree)) - {"_", "gettext", "ngettext"}
    names -= {"pgettext", "npgettext"}
    for included in meta.find_referenced_templates(tree):
        names |= {"<computed include>"} if included is None else _variables(lang, included)
    return names


def _catalog(lang: str) -> Catalog:
    with catalog_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def _extracted() -> set[tuple[str | None, str | tuple[str, ...]]]:
    """What `make i18n` extracts from templates/ui today, as (context, msgid)."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    return {
        (context, msgid)
        for _, _, msgid, _, context in extract_from_dir(
            ROOT,
            method_map,
            options_map,
            keywords={
                "_": None,
                "gettext": None,
                "ngettext": (1, 2),
                "pgettext": ((1, "c"), 2),
                "npgettext": ((1, "c"), 2, 3),
            },
        )
    }


def test_the_ui_is_one_template_tree_and_the_letters_another() -> None:
    trees = sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir() and p.name[0] != "_")
    assert trees == ["letters", "ui"]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(lang: str) -> None:
    catalog = _catalog(lang)
    untranslated = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"{lang}: translate these in {catalog_path(lang)}"
    assert fuzzy == [], f"{lang}: check and unmark these fuzzy entries"
    assert not catalog.fuzzy, f"{lang}: the catalog's header is marked fuzzy"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalog_holds_exactly_the_messages_of_the_templates(lang: str) -> None:
    """`make i18n` was run after the templates last changed."""
    wanted = _extracted()
    have = {(m.context, m.id) for m in _catalog(lang) if m.id}
    assert sorted(map(str, wanted - have)) == [], "missing from the catalog: run `make i18n`"
    assert sorted(map(str, have - wanted)) == [], "no longer in any template: run `make i18n`"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalog_compiles_with_the_placeholders_of_its_message(lang: str) -> None:
    catalog = _catalog(lang)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []
    buffer = BytesIO()
    write_mo(buffer, catalog)
    assert buffer.tell() > 0


def test_every_language_has_its_own_name_and_catalog() -> None:
    from bot.languages import ENDONYMS

    assert set(ENDONYMS) == set(LANGUAGES)
    assert all(catalog_path(lang).is_file() for lang in TRANSLATED)


def test_the_plural_rules_are_each_languages_own() -> None:
    assert _catalog("ru").num_plurals == 3
    assert _catalog("kk").num_plurals == 2  # CLDR: one (n = 1), other


# A number next to an English noun: '%(count)s supporters', 'for %(days)s days'.
_COUNTED = re.compile(r"%\((\w+)\)s (?:more )?(?:new )?([a-z]+s)\b")
_NOT_NOUNS = {"is", "was", "has", "its", "as", "this", "shows", "lists", "does"}


def test_every_message_where_a_number_meets_a_noun_has_plural_forms() -> None:
    singular_only = sorted(
        msgid
        for _, msgid in _extracted()
        if isinstance(msgid, str)
        and (
            "%(count)s" in msgid
            or any(noun not in _NOT_NOUNS for _, noun in _COUNTED.findall(msgid))
        )
    )
    assert singular_only == [], "use {% trans count=… %}…{% pluralize count %}…{% endtrans %}"


@pytest.mark.parametrize(("lang", "name"), _all_templates())
def test_every_template_compiles(lang: str, name: str) -> None:
    environment(lang).get_template(name)


@pytest.mark.parametrize(
    ("lang", "name"),
    [
        (lang, name)
        for lang, name in _all_templates()
        if not _variables(lang, name) and name != "_names.txt"  # macros only, imported
    ],
)
def test_every_template_without_variables_renders_to_some_text(lang: str, name: str) -> None:
    text = render(name, lang)
    assert text
    if name.endswith(".html"):
        _assert_telegram_html(text)


def _names(lang: str) -> Any:
    return environment(lang).get_template("_names.txt").module


def _named(lang: str, code: str, name: str) -> bool:
    """A word, not the stored keyword: English may spell it the same ('released')."""
    return bool(name) and "_" not in name and (lang == "en" or name != code)


@pytest.mark.parametrize("status", PERSON_STATUSES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_person_status_has_a_name(lang: str, status: str) -> None:
    for name in (_names(lang).status(status), _names(lang).status(status, 1000)):
        assert _named(lang, status, name)


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_outcome_has_a_name(lang: str, outcome: str) -> None:
    assert _named(lang, outcome, _names(lang).outcome(outcome))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_theme_has_a_name(lang: str, theme: str) -> None:
    assert _named(lang, theme, _names(lang).theme(theme))


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_command_has_a_menu_description(lang: str, command: str) -> None:
    assert render("menu.txt", lang, command=command)


@pytest.mark.parametrize("status", CASE_STATUSES)
@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_case_status_is_shown_in_the_readers_language(lang: str, status: str) -> None:
    assert _names(lang).case_status(status) != status


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
    assert "1 December 2026, 23:59 (Almaty)" in text


def test_a_deadline_is_shown_in_the_readers_time_zone_too() -> None:
    text = render("alerts/new.html", "en", case=CASE, tz="Europe/Berlin")
    assert "1 December 2026, 23:59 (Almaty) · 1 December 2026, 19:59 (Berlin)" in text


@pytest.mark.parametrize(("lang", "left"), [("en", "6 hours"), ("ru", "6 часов")])
def test_a_reminder_says_how_long_is_left_in_the_readers_language(lang: str, left: str) -> None:
    name = "alerts/deadline_reminder.html"
    assert left in render(name, lang, **CASE_CONTEXTS[name])


def test_a_group_is_shown_with_its_size_written_as_the_reader_writes_numbers() -> None:
    assert "Protesters (1,000 people): detained" in render("alerts/_people.html", "en", case=CASE)
    assert "Protesters (1\xa0000 человек): задержаны" in render(
        "alerts/_people.html", "ru", case=CASE
    )


# --- plurals, fallback, dates and names in the reader's language -------------------------

RU_SUPPORTERS = {
    1: "Обращения уже отправил 1 человек.",
    2: "Обращения уже отправили 2 человека.",
    5: "Обращения уже отправили 5 человек.",
    11: "Обращения уже отправили 11 человек.",
    21: "Обращения уже отправил 21 человек.",
    22: "Обращения уже отправили 22 человека.",
    25: "Обращения уже отправили 25 человек.",
}


@pytest.mark.parametrize(("n", "expected"), sorted(RU_SUPPORTERS.items()))
def test_russian_counts_supporters_with_its_three_plural_forms(n: int, expected: str) -> None:
    assert expected in render("bot/acted.html", "ru", created=True, ref="KZ-1", tally=n)


RU_QUEUED = {
    1: "1 подписчика",
    2: "2 подписчиков",
    5: "5 подписчиков",
    11: "11 подписчиков",
    21: "21 подписчика",
    22: "22 подписчиков",
    25: "25 подписчиков",
}


@pytest.mark.parametrize(("n", "expected"), sorted(RU_QUEUED.items()))
def test_russian_says_for_how_many_subscribers_an_alert_is_queued(n: int, expected: str) -> None:
    text = render("bot/queued.html", "ru", op="publish", ref="KZ-1", recipients=n)
    assert f"в очереди для {expected}." in text


RU_DAYS = {
    1: "1 ДЕНЬ",
    2: "2 ДНЯ",
    5: "5 ДНЕЙ",
    11: "11 ДНЕЙ",
    21: "21 ДЕНЬ",
    22: "22 ДНЯ",
    25: "25 ДНЕЙ",
}


@pytest.mark.parametrize(("n", "expected"), sorted(RU_DAYS.items()))
def test_russian_counts_days_without_news(n: int, expected: str) -> None:
    text = render("alerts/stale.html", "ru", case=CASE, days=n, since=DEADLINE)
    assert f"УЖЕ {expected}</b>" in text


KK_SUPPORTERS = {
    1: "Осы уақытқа дейін 1 адам өтініш жіберді.",
    2: "Осы уақытқа дейін 2 адам өтініш жіберді.",
    5: "Осы уақытқа дейін 5 адам өтініш жіберді.",
    21: "Осы уақытқа дейін 21 адам өтініш жіберді.",
}


@pytest.mark.parametrize(("n", "expected"), sorted(KK_SUPPORTERS.items()))
def test_kazakh_puts_no_plural_after_a_number(n: int, expected: str) -> None:
    assert expected in render("bot/acted.html", "kk", created=True, ref="KZ-1", tally=n)


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "1 жазылушыға"), (2, "2 жазылушыға"), (5, "5 жазылушыға"), (21, "21 жазылушыға")],
)
def test_kazakh_says_for_how_many_subscribers_an_alert_is_queued(n: int, expected: str) -> None:
    assert expected in render("bot/queued.html", "kk", op="publish", ref="KZ-1", recipients=n)


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "1 supporter has taken action so far."), (2, "2 supporters have taken action so far.")],
)
def test_english_agrees_verb_and_noun_with_the_count(n: int, expected: str) -> None:
    assert expected in render("bot/acted.html", "en", created=True, ref="KZ-1", tally=n)


def _mo(lang: str, messages: dict[str | tuple[str, str], str | tuple[str, ...]]) -> object:
    import gettext

    catalog = Catalog(locale=lang)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def test_a_string_missing_in_kazakh_falls_back_to_russian_alone() -> None:
    kk = _mo("kk", {"Settings": "Баптаулар"})
    ru = _mo("ru", {"Settings": "Настройки", "Language": "Язык"})
    t = Translator((kk, ru))  # type: ignore[arg-type]
    assert t.gettext("Settings") == "Баптаулар"
    assert t.gettext("Language") == "Язык"
    assert t.gettext("Time zone") == "Time zone"


def test_an_untranslated_kazakh_plural_falls_back_to_russian_with_russian_plurals() -> None:
    # Babel compiles an untranslated plural entry as empty strings: they must not win.
    kk = _mo("kk", {("%(n)s day", "%(n)s days"): ("", "")})
    ru = _mo("ru", {("%(n)s day", "%(n)s days"): ("%(n)s день", "%(n)s дня", "%(n)s дней")})
    t = Translator((kk, ru))  # type: ignore[arg-type]
    assert [t.ngettext("%(n)s day", "%(n)s days", n) for n in (1, 2, 5)] == [
        "%(n)s день",
        "%(n)s дня",
        "%(n)s дней",
    ]
    assert Translator(()).ngettext("%(n)s day", "%(n)s days", 2) == "%(n)s days"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "1 December 2026, 23:59 (Almaty)"),
        ("ru", "1 декабря 2026 г., 23:59 (Алматы)"),
        ("kk", "2026 жылғы 1 желтоқсан, 23:59 (Алматы)"),
    ],
)
def test_a_deadline_is_written_as_the_reader_writes_dates(lang: str, expected: str) -> None:
    assert expected in render("alerts/new.html", lang, case=CASE)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Kazakh, Russian, English"),
        ("ru", "казахский, русский, английский"),
        ("kk", "қазақ тілі, орыс тілі, ағылшын тілі"),
    ],
)
def test_a_cases_languages_are_named_in_the_readers_language(lang: str, expected: str) -> None:
    active = dataclasses.replace(CASE, status="active", outcome=None)
    text = render("bot/case.html", lang, case=active, staff=None, tally=3)
    assert expected in text


def test_a_closed_case_asks_for_no_appeal_in_any_language() -> None:
    """Its card names no languages to write in: the action has ended."""
    text = render("bot/case.html", "en", case=CASE, staff=None, tally=3)
    assert "Preferred languages" not in text
    assert "No further appeals are requested" in text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "No one has reported taking action yet."),
        ("ru", "Пока никто не сообщил об отправке обращения."),
        ("kk", "Әзірге ешкім өтініш жібергенін хабарлаған жоқ."),
    ],
)
def test_a_case_nobody_has_acted_on_says_so_in_words(lang: str, expected: str) -> None:
    active = dataclasses.replace(CASE, status="active", outcome=None)
    text = render("bot/case.html", lang, case=active, staff=None, tally=0)
    assert expected in text
    assert not re.search(r"\b0 ", text)  # no "0 supporters", "0 человек", "0 адам"


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "released"), ("ru", "освобождение"), ("kk", "босатылды")]
)
def test_an_outcome_is_named_in_the_readers_language(lang: str, expected: str) -> None:
    text = render("alerts/closed.html", lang, case=CASE, text="Free.")
    assert re.search(rf":\s*{expected}\n", text), text


def _assert_telegram_html(text: str) -> None:
    tags = {m.lower() for m in re.findall(r"</?([a-zA-Z][\w-]*)", text)}
    assert tags <= TELEGRAM_TAGS, tags - TELEGRAM_TAGS


def test_a_groups_new_status_agrees_with_the_group_in_russian() -> None:
    one = render("bot/status_set.html", "ru", ref="KZ-1", position=1, name="A", status="detained")
    group = render(
        "bot/status_set.html",
        "ru",
        ref="KZ-1",
        position=2,
        name="Protesters",
        status="detained",
        group_size=1000,
    )
    assert "человека № 1" in one and one.strip().endswith("задержан(а).")
    assert group.strip().endswith("задержаны.")


@pytest.mark.parametrize(
    ("kind", "value", "followed", "unfollowed"),
    [
        ("country", "KZ", "Вы подписаны на страну", "Вы больше не подписаны на страну"),
        ("theme", "torture", "Вы подписаны на тему «пытки»", "Вы больше не подписаны на тему"),
        ("all", None, "Вы подписаны на все дела", "Вы больше не подписаны на все дела"),
    ],
)
def test_russian_following_and_unfollowing_agree_with_what_is_followed(
    kind: str, value: str | None, followed: str, unfollowed: str
) -> None:
    """The scope is in the accusative ('на страну'): 'отписались от страну' would not be Russian."""
    assert followed in render("bot/followed.html", "ru", created=True, kind=kind, value=value)
    assert unfollowed in render("bot/unfollowed.html", "ru", kind=kind, value=value)


def test_kazakh_names_what_is_followed_as_a_phrase_after_the_colon() -> None:
    text = render("bot/followed.html", "kk", created=True, kind="theme", value="torture")
    assert "Сіз жазылдыңыз: <b>азаптау</b> тақырыбындағы істер." in text


@pytest.mark.parametrize(("lang", "she"), [("ru", "(она)"), ("kk", "(әйел)")])
def test_a_persons_pronoun_reads_as_one_word_after_the_name(lang: str, she: str) -> None:
    person = dataclasses.replace(CASE.people[0], pronoun="she", group_size=None)
    text = render("alerts/new.html", lang, case=dataclasses.replace(CASE, people=(person,)))
    assert f"{person.name} {she}" in text
    assert "((" not in text and "))" not in text


def test_a_groups_status_saved_by_button_agrees_with_the_group_in_russian() -> None:
    text = render(
        "bot/person_saved.html",
        "ru",
        ref="KZ-1",
        position=2,
        field="status",
        value="released",
        restricted=False,
        group_size=40,
    )
    assert text.strip().endswith(": освобождены")
