"""What a letter says and how it is signed: salutations, agreement, asks, the sender block,
and never the case's internal reference (pure: public views in, a Letter out)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.domain.views import PublicPerson
from bot.letters.render import render_letter
from bot.letters.sender import Signer
from tests.letters.conftest import (
    COPY_TARGET,
    KAZAKH_LETTERS,
    KK_TARGET,
    ON,
    ORG_KK,
    RU_TARGET,
    public_case,
    public_target,
)

KK = public_target(KK_TARGET)
RU = public_target(RU_TARGET)
SHE = (PublicPerson(1, "Ракиля Бекназарова", "she", 42, None, None, "at_risk"),)


def test_a_kazakh_letter_has_the_addressee_block_date_salutation_and_demands() -> None:
    letter = render_letter(public_case(), KK, "kk", on=ON, signature=Signer.of(org=ORG_KK))
    assert letter.address[:2] == ("Бас прокурор", "Берік Асқарұлы Жұмабаев")
    assert letter.address_side == "right"  # top right, as Kazakh business letters have it
    assert "Мәңгілік Ел даңғылы, 14" in letter.address
    assert "bas-prokuror@example.org" not in letter.address  # not part of a postal address
    assert letter.date == "2026 жылғы 2 наурыз"  # as Kazakh documents write a date
    assert letter.subject == "Өтініш: Journalist detained in Zhanaozen"
    assert "Құрметті Бас прокурор!" in letter.message
    assert "Жаңаөзеннің бейбіт тұрғындары (40\u00a0адам)" in letter.message
    assert "дереу әрі еш шартсыз босатуды" in letter.message
    assert letter.copies_note == "Көшірмесі: Ambassador, Embassy of the Republic of Kazakhstan"
    assert set(KAZAKH_LETTERS) <= set(letter.text)


def test_a_salutation_in_another_script_gives_way_to_one_built_from_the_title() -> None:
    case = public_case()
    assert "Уважаемый господин министр!" in render_letter(case, RU, "ru", on=ON).message
    english = public_target(COPY_TARGET)
    assert "Your Excellency," in render_letter(case, english, "en", on=ON).message
    assert "Dear Sir or Madam," in render_letter(case, KK, "en", on=ON).message
    untitled = replace(english, salutation="")
    assert "Dear Ambassador," in render_letter(case, untitled, "en", on=ON).message


@pytest.mark.parametrize(
    ("lang", "pronoun", "salutation"),
    [
        ("ru", "she", "Уважаемая госпожа Генеральный прокурор!"),
        ("ru", "he", "Уважаемый господин Генеральный прокурор!"),
        ("ru", None, "Уважаемый Генеральный прокурор!"),
        ("kk", "she", "Құрметті Бас прокурор ханым!"),
        ("kk", "he", "Құрметті Бас прокурор мырза!"),
        ("en", "she", "Dear Prosecutor General,"),
    ],
)
def test_with_no_salutation_given_one_is_built_from_the_title_and_pronoun(
    lang: str, pronoun: str | None, salutation: str
) -> None:
    title = {"ru": "Генеральный прокурор", "kk": "Бас прокурор", "en": "Prosecutor General"}[lang]
    target = replace(RU, title=title, salutation="", pronoun=pronoun)
    letter = render_letter(public_case(), target, lang, on=ON)
    assert letter.salutation == salutation
    assert "/" not in letter.salutation  # never «Уважаемая госпожа / уважаемый господин!»


@pytest.mark.parametrize(
    ("polite_name", "pronoun", "salutation"),
    [
        ("Берик Нурланович", None, "Уважаемый Берик Нурланович!"),
        ("Айгуль Сериковна", None, "Уважаемая Айгуль Сериковна!"),
        ("Сауле Маратқызы", "she", "Уважаемая Сауле Маратқызы!"),
    ],
)
def test_a_target_with_a_polite_name_is_greeted_by_it_in_russian(
    polite_name: str, pronoun: str | None, salutation: str
) -> None:
    target = replace(RU, salutation="", polite_name=polite_name, pronoun=pronoun)
    letter = render_letter(public_case(), target, "ru", on=ON)
    assert letter.message.startswith(f"{salutation}\n\n")


def test_a_russian_addressee_in_the_dative_heads_the_letter_top_right() -> None:
    dative = "Министру внутренних дел\nРеспублики Казахстан\nг-ну Тұрғынбекову Е. М."
    letter = render_letter(public_case(), replace(RU, addressee=dative), "ru", on=ON)
    assert letter.address[:3] == tuple(dative.splitlines())
    assert letter.address_side == "right"
    assert "Мәңгілік Ел даңғылы, 8, Үкімет үйі" in letter.address


def test_a_named_signer_signs_with_the_sender_block() -> None:
    signer = Signer.of("Айгерим  Сейткали", "Алматы", "aigerim@example.org")
    letter = render_letter(public_case(), RU, "ru", on=ON, signature=signer)
    assert letter.message.endswith("С уважением,\nАйгерим Сейткали\nАлматы\naigerim@example.org")
    assert letter.author == "Айгерим Сейткали"


def test_an_organisation_signs_with_its_contact_line() -> None:
    signer = Signer.of(org="Qaharman Foundation", contact="info@example.org, Almaty")
    letter = render_letter(public_case(), KK, "en", on=ON, signature=signer)
    assert letter.message.endswith(
        "Yours sincerely,\nQaharman Foundation\ninfo@example.org, Almaty"
    )
    assert letter.author == "Qaharman Foundation"


@pytest.mark.parametrize("signature", [None, "  ", Signer()])
def test_with_no_name_the_letter_leaves_lines_to_sign_by_hand(
    signature: Signer | str | None,
) -> None:
    letter = render_letter(public_case(), RU, "ru", on=ON, signature=signature)
    assert letter.message.endswith(
        "С уважением,\nПодпись: ______________________\nФамилия, имя: ______________________"
    )
    assert letter.author == ""
    assert "uabot" not in letter.text


@pytest.mark.parametrize("themes", [("detention",), ("surveillance",), ("fair_trial",), ()])
def test_a_russian_letter_for_a_woman_has_feminine_agreement_and_no_masculine_form(
    themes: tuple[str, ...],
) -> None:
    body = render_letter(public_case(people=SHE, themes=themes), RU, "ru", on=ON).body
    words = set(re.findall(r"\w+", body.casefold()))
    assert words & {"её", "ей", "неё", "ней"}
    assert not words & {"его", "ему", "него", "нему", "ним", "нём"}
    assert "находится Ракиля Бекназарова" in body  # one person: singular, never «их»


def test_one_person_whose_pronoun_is_they_stays_one_person_in_russian() -> None:
    alone = (PublicPerson(1, "Алекс Ким", "they", None, None, None, "detained"),)
    body = render_letter(public_case(people=alone), RU, "ru", on=ON).body
    words = set(re.findall(r"\w+", body.casefold()))
    assert "находится Алекс Ким" in body
    assert "освободить этого человека" in body
    assert not words & {"его", "ему", "её", "ей", "их", "им"}


def test_a_group_is_written_about_in_the_plural() -> None:
    group = (PublicPerson(1, "Протестующие", None, None, None, 40, "detained"),)
    case = public_case(people=group)
    assert "освободить их" in render_letter(case, RU, "ru", on=ON).body
    assert "release them" in render_letter(case, RU, "en", on=ON).body


def test_the_cases_own_asks_replace_the_default_and_a_targets_replace_the_cases() -> None:
    case = replace(public_case(), asks="Освободить журналистку.\nРазрешить свидания с семьёй.")
    body = render_letter(case, RU, "ru", on=ON).body
    assert "Настоятельно прошу Вас:\n1. Освободить журналистку.\n2. Разрешить свидания" in body
    assert "безоговорочно освободить" not in body
    minister = replace(RU, asks="Расследовать жалобы на жестокое обращение.")
    own = render_letter(case, minister, "ru", on=ON).body
    assert "1. Расследовать жалобы на жестокое обращение." in own
    assert "Освободить журналистку" not in own


def test_the_letter_states_the_cases_public_facts() -> None:
    case = replace(public_case(), background="Since 3 March she has been held in Aktau.")
    body = render_letter(case, KK, "en", on=ON).body
    assert "A journalist and residents were detained after a peaceful protest." in body
    assert "Since 3 March" not in body  # the background is for supporters


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_no_letter_carries_the_case_reference(lang: str) -> None:
    for themes in (("detention",), ("surveillance",), ("fair_trial",), ()):
        letter = render_letter(public_case(themes=themes), KK, lang, on=ON)
        assert "KZ-2026" not in letter.text
    own_body = "{{ case.ref }}Free {{ people_names }}."
    assert "KZ-2026" not in render_letter(public_case(), KK, lang, on=ON, body=own_body).text
