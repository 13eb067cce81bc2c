"""PDFs read back as a reader would: the Kazakh and Cyrillic text must be really there."""

from __future__ import annotations

from dataclasses import replace

from bot.letters.pdf import letter_pdf
from bot.letters.render import render_letter
from tests.letters.conftest import (
    KAZAKH_LETTERS,
    KK_TARGET,
    ON,
    ORG_KK,
    RU_TARGET,
    pdf_text,
    public_case,
    public_target,
)


def test_a_kazakh_pdf_has_the_salutation_the_targets_name_and_every_kazakh_letter() -> None:
    target = replace(public_target(KK_TARGET), address="Қаһарман көшесі, 1\nАстана")
    letter = render_letter(public_case(), target, "kk", on=ON)
    text = pdf_text(letter_pdf(letter))
    assert "Құрметті Бас прокурор!" in text
    assert "Берік Асқарұлы Жұмабаев" in text
    assert "Қазақстан Республикасының Бас прокуратурасы" in text
    assert "Сізден мыналарды құрметпен сұраймын:" in text
    assert "Қолы: ___" in text  # unsigned: a line to sign by hand
    assert set(KAZAKH_LETTERS) <= set(text)


def test_a_russian_pdf_has_the_salutation_the_targets_name_and_the_kazakh_names() -> None:
    letter = render_letter(public_case(), public_target(RU_TARGET), "ru", on=ON, signature=ORG_KK)
    text = pdf_text(letter_pdf(letter))
    assert "Уважаемый господин министр!" in text
    assert "Ерлан Маратович Тұрғынбеков" in text
    assert "Настоятельно прошу Вас:" in text
    assert "и Жаңаөзеннің бейбіт тұрғындары (40 человек)" in text
    assert "Қаһарман қоры" in text
    assert set(KAZAKH_LETTERS) <= set(text)


def test_a_pdf_names_its_language_and_title() -> None:
    letter = render_letter(public_case(), public_target(KK_TARGET), "kk", on=ON)
    data = letter_pdf(letter)
    assert data.startswith(b"%PDF-")
    assert b"/Lang (kk)" in data
    assert letter.subject in pdf_text(data)
