"""Rendering one letter from public views: kinds, salutations, dates, people, the sandbox."""

from __future__ import annotations

from dataclasses import fields

import pytest

from bot.domain.views import PublicPerson
from bot.letters.render import (
    CONTEXT_NAMES,
    BodyError,
    letter_context,
    letter_kind,
    render_body,
    render_letter,
)
from tests.letters.conftest import (
    KK_TARGET,
    ON,
    RU_TARGET,
    public_case,
    public_target,
)

KK = public_target(KK_TARGET)
RU = public_target(RU_TARGET)


@pytest.mark.parametrize(
    ("themes", "statuses", "kind"),
    [
        (("detention", "surveillance"), (), "detention"),
        (("reprisals", "womens_rights"), ("at_risk",), "general"),
        (("surveillance", "death_in_custody"), (), "surveillance"),
        (("fair_trial",), (), "prosecution"),
        (("freedom_of_assembly",), ("prosecuted",), "prosecution"),
        (("womens_rights",), ("at_risk",), "general"),
    ],
)
def test_the_default_body_is_chosen_by_theme_then_by_status(
    themes: tuple[str, ...], statuses: tuple[str, ...], kind: str
) -> None:
    people = [PublicPerson(1, "A", None, None, None, None, s) for s in statuses]
    assert letter_kind(themes, people) == kind


def test_each_language_writes_the_date_its_own_way() -> None:
    case = public_case()
    dates = {lang: render_letter(case, KK, lang, on=ON).date for lang in ("en", "ru", "kk")}
    assert dates == {
        "en": "2 March 2026",
        "ru": "2 марта 2026 г.",
        "kk": "2026 жылғы 2 наурыз",
    }


def test_one_person_is_named_with_their_own_pronoun() -> None:
    alone = (PublicPerson(1, "Rakilja Beknazarova", "she", 42, None, None, "detained"),)
    case = public_case(people=alone)
    assert "release her immediately" in render_letter(case, KK, "en", on=ON).message
    assert "освободить её" in render_letter(case, KK, "ru", on=ON).message
    assert "оны дереу" in render_letter(case, KK, "kk", on=ON).message


def test_russian_counts_a_group_with_the_right_plural() -> None:
    for size, word in (
        (2, "2\u00a0человека"),  # a no-break space: the number stays with its noun
        (5, "5\u00a0человек"),
        (12, "12\u00a0человек"),
        (22, "22\u00a0человека"),
    ):
        group = (PublicPerson(1, "Протестующие", None, None, None, size, "detained"),)
        assert word in render_letter(public_case(people=group), RU, "ru", on=ON).message


def test_the_context_holds_the_documented_names_and_public_views_only() -> None:
    context = letter_context(public_case(), KK, "kk", None, ON)
    assert tuple(context) == CONTEXT_NAMES
    # The views themselves have no internal or restricted field to offer.
    names = {f.name for view in (context["case"], context["target"]) for f in fields(view)}
    names |= {f.name for f in fields(context["people"][0])}
    assert not names & {"internal_index", "internal_notes", "whereabouts", "health", "notes"}


def test_a_coordinators_body_uses_the_public_context() -> None:
    body = "Мен {{ people_names }} үшін {{ target.title }} атына жазамын. Мерзімі: {{ deadline }}."
    letter = render_letter(public_case(), KK, "kk", on=ON, body=body)
    assert (
        "Үсенқызы (journalist) және Жаңаөзеннің бейбіт тұрғындары (40\u00a0адам) үшін"
        in letter.message
    )
    assert "Бас прокурор атына жазамын. Мерзімі: 2026 жылғы 20 наурыз." in letter.message
    assert letter.message.startswith("Құрметті Бас прокурор!")


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("Hello\n{{ case.internal_notes }}", 2),
        ("{{ people[0].health }}", 1),
        ("{{ case.__class__.__init__.__globals__ }}", 1),
        ("{{ 'x' * 10**9 }}", 1),
        ("{% for %}", 1),
        ("{{ nothing_here }}", 1),
        ("{# only a comment #}", None),
    ],
)
def test_a_body_that_reaches_past_the_public_context_does_not_render(
    body: str, line: int | None
) -> None:
    context = letter_context(public_case(), KK, "en", None, ON)
    with pytest.raises(BodyError) as refused:
        render_body("en", body, context)
    assert refused.value.line == line
