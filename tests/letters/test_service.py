"""bot/letters/service.py: what the bot and the CLI ask for, against a real database."""

from __future__ import annotations

import io

import pypdf
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.domain import letters as domain_letters
from bot.domain.cases import PersonInput
from bot.domain.errors import ActionEnded, UnknownCase
from bot.letters import service
from bot.letters.errors import LetterInvalid, LetterUnavailable, NoTargets, UnknownFormat
from bot.letters.sender import Signer
from tests.letters.conftest import (
    COORDINATOR,
    COPY_TARGET,
    KAZAKH_LETTERS,
    KK_TARGET,
    ON,
    REF,
    RU_TARGET,
    make_case,
    pdf_text,
    translate,
)


def test_there_is_one_letter_per_primary_target_with_the_copies_in_cc(
    sessions: sessionmaker[Session], case_ref: str
) -> None:
    with sessions() as session:
        letters = service.letters_for(session, case_ref, "kk", "Айгерим Жаһанова", on=ON)
    assert [letter.target.name for letter in letters] == [
        "Берік Асқарұлы Жұмабаев",
        "Ерлан Маратович Тұрғынбеков",
    ]
    assert [letter.filename("pdf") for letter in letters] == [
        "KZ-2026-201_kk_01_бас-прокурор.pdf",
        "KZ-2026-201_kk_02_министр-внутренних-дел.pdf",
    ]
    first = letters[0]
    assert first.letter.copies[0].name == COPY_TARGET.name
    assert first.text.startswith("Бас прокурор\nБерік Асқарұлы Жұмабаев\n")
    assert first.text.rstrip().endswith(
        "Көшірмесі: Ambassador, Embassy of the Republic of Kazakhstan"
    )
    assert "Құрметпен,\nАйгерим Жаһанова" in first.text
    assert set(KAZAKH_LETTERS) <= set(pdf_text(first.pdf))
    assert first.mailto is None  # a whole Kazakh letter is far past 2,000 characters


def test_a_coordinators_body_replaces_the_default_in_that_language_only(
    sessions: sessionmaker[Session], case_ref: str
) -> None:
    with sessions.begin() as session:
        domain_letters.set_letter(session, COORDINATOR, case_ref, "en", "Free {{ people_names }}.")
    with sessions() as session:
        english = service.letters_for(session, case_ref, "en", on=ON)[0]
        russian = service.letters_for(session, case_ref, "ru", on=ON)[0]
    assert "Dear Sir or Madam,\n\nFree Әлия Үсенқызы (journalist) and Жаңаөзеннің" in english.text
    assert english.mailto is not None and english.mailto.startswith("mailto:bas-prokuror@")
    assert "Настоятельно прошу Вас:" in russian.text


def test_a_language_without_a_letter_names_those_there_are(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        make_case(session, languages=("kk", "ru"))
    with sessions() as session, pytest.raises(LetterUnavailable) as refused:
        service.letters_for(session, REF, "en")
    assert refused.value.params["available"] == ("kk", "ru")
    assert refused.value.message("en") == (
        f"Case {REF} has no letter in en; it has letters in: kk, ru."
    )


def test_a_case_with_no_primary_target_has_no_letters(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        make_case(session, targets=(COPY_TARGET,), publish=False)
    with sessions() as session, pytest.raises(NoTargets) as refused:
        service.letters_for(session, REF, "kk", drafts=True)
    assert "no primary target" in refused.value.message("en")


def test_drafts_have_letters_only_for_staff(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        make_case(session, publish=False)
    with sessions() as session:
        with pytest.raises(UnknownCase):
            service.letters_for(session, REF, "kk")
        assert len(service.letters_for(session, REF, "kk", drafts=True)) == 2
        assert service.languages(session, REF, drafts=True) == ("kk", "ru", "en")


def test_export_covers_every_language_and_the_zip_holds_every_format(
    sessions: sessionmaker[Session], case_ref: str
) -> None:
    with sessions() as session:
        letters = service.export_letters(session, case_ref, on=ON)
        data = service.export_zip(session, case_ref, langs=["ru"], formats=["txt", "eml"])
    assert [(letter.lang, letter.number) for letter in letters] == [
        ("kk", 1), ("kk", 2), ("ru", 1), ("ru", 2), ("en", 1), ("en", 2),
    ]  # fmt: skip
    assert data.startswith(b"PK")


@pytest.mark.parametrize(
    ("available", "preferred", "chosen"),
    [
        (("kk", "ru", "en"), "ru", "ru"),
        (("ru", "en"), "kk", "ru"),
        (("en",), "kk", "en"),
        (("kk",), "en", "kk"),
        (("kk", "ru"), None, "kk"),
        ((), "en", None),
    ],
)
def test_the_language_chosen_is_the_preferred_or_the_nearest(
    available: tuple[str, ...], preferred: str | None, chosen: str | None
) -> None:
    assert service.choose_language(available, preferred) == chosen


@pytest.mark.parametrize(
    ("value", "formats"),
    [("all", ("pdf", "eml", "txt")), ("PDF", ("pdf",)), ("txt,eml", ("txt", "eml"))],
)
def test_formats_are_read_from_one_word(value: str, formats: tuple[str, ...]) -> None:
    assert service.parse_formats(value) == formats


@pytest.mark.parametrize("value", ["docx", "", "pdf,doc"])
def test_an_unknown_format_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(UnknownFormat) as refused:
        service.parse_formats(value)
    assert refused.value.message("en").startswith("Unknown letter format")
    assert "\n" not in refused.value.message("en")


def test_a_preview_shows_the_body_to_the_first_target_without_saving_it(
    sessions: sessionmaker[Session], case_ref: str
) -> None:
    with sessions() as session:
        letter = service.preview(session, case_ref, "KK", "Мен {{ people_names }} үшін жазамын.")
        with pytest.raises(LetterInvalid):
            service.preview(session, case_ref, "kk", "{{ case.internal_index }}")
        assert domain_letters.letter_body(cases.get_case(session, case_ref), "kk") is None
    assert letter.target.name == "Берік Асқарұлы Жұмабаев"
    assert "Құрметті Бас прокурор!\n\nМен Әлия Үсенқызы" in letter.text


def _one_person_case(session: Session) -> str:
    person = PersonInput(name="Aliya Usenkyzy", status="detained", pronoun="she")
    make_case(session, targets=(KK_TARGET, RU_TARGET, COPY_TARGET), people=(person,))
    translate(session)
    return REF


def test_each_letter_takes_the_cases_texts_in_its_own_language(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _one_person_case(session)
    with sessions() as session:
        russian = service.letters_for(session, REF, "ru", on=ON)[0]
        kazakh = service.letters_for(session, REF, "kk", on=ON)[0]
    assert russian.letter.address[:2] == ("Генеральному прокурору", "Республики Казахстан")
    assert russian.subject == "Обращение: Журналистка задержана в Жанаозене"
    assert russian.text.count("Уважаемый Берик Асқарович!") == 1
    assert "находится Алия Усенкызы" in russian.text
    assert "Журналистку задержали после мирного протеста." in russian.text
    assert "Копия: Послу Республики Казахстан в Германии" in russian.text
    assert kazakh.letter.address[:2] == ("Қазақстан Республикасының", "Бас прокурорына")
    assert kazakh.subject == "Өтініш: Жаңаөзенде журналист ұсталды"
    # No Kazakh polite name: the Russian one is not borrowed, the title greets instead.
    assert kazakh.letter.salutation == "Құрметті Бас прокурор!"
    assert "Көшірмесі: Елші, Embassy of the Republic of Kazakhstan" in kazakh.text


def test_a_set_signer_signs_the_letter_in_text_pdf_and_eml(
    sessions: sessionmaker[Session],
) -> None:
    signer = Signer.of("Айгерим Сейткали", "Алматы", "aigerim@example.org")
    with sessions.begin() as session:
        _one_person_case(session)
    with sessions() as session:
        (letter, _) = service.letters_for(session, REF, "ru", signer, on=ON)
    block = "Айгерим Сейткали\nАлматы\naigerim@example.org"
    assert f"С уважением,\n{block}" in letter.text
    assert f"С уважением,\n{block}" in letter.eml.decode("utf-8")
    pdf = pdf_text(letter.pdf)
    assert "С уважением, Айгерим Сейткали Алматы aigerim@example.org" in pdf
    assert pypdf.PdfReader(io.BytesIO(letter.pdf)).metadata.author == "Айгерим Сейткали"
    assert "Сторонники uabot" not in letter.text + pdf


def test_no_letter_in_any_format_carries_the_case_reference(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _one_person_case(session)
    with sessions() as session:
        letters = service.export_letters(session, REF, signer=Signer.of(org="Qaharman"))
    assert {letter.lang for letter in letters} == {"kk", "ru", "en"}
    for letter in letters:
        for fmt in ("txt", "eml"):
            assert REF not in letter.content(fmt).decode("utf-8"), (letter.lang, fmt)
        assert REF not in pdf_text(letter.pdf)
        assert REF not in (letter.mailto or "")


def test_a_closed_case_serves_no_letter(sessions: sessionmaker[Session], case_ref: str) -> None:
    with sessions.begin() as session:
        cases.close(session, COORDINATOR, case_ref, "released", "Released on 1 March.")
    with sessions() as session:
        for fetch in (
            lambda: service.letters_for(session, case_ref, "kk", drafts=True),
            lambda: service.export_letters(session, case_ref),
        ):
            with pytest.raises(ActionEnded) as ended:
                fetch()
            assert "has ended" in ended.value.message("en")
