"""The .eml draft parsed back with the stdlib, as a mail client would read it."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage

from bot.letters.eml import letter_eml
from bot.letters.render import render_letter
from tests.letters.conftest import (
    COPY_TARGET,
    KK_TARGET,
    ON,
    RU_TARGET,
    public_case,
    public_target,
)


def _parse(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_the_eml_goes_to_the_target_with_the_copies_in_cc() -> None:
    letter = render_letter(public_case(), public_target(KK_TARGET), "kk", on=ON)
    message = _parse(letter_eml(letter))
    assert message["To"].addresses[0].addr_spec == "bas-prokuror@example.org"
    assert message["To"].addresses[0].display_name == "Берік Асқарұлы Жұмабаев"
    assert [a.addr_spec for a in message["Cc"].addresses] == ["embassy@example.org"]
    assert str(message["Subject"]) == letter.subject
    assert message["Content-Language"] == "kk"
    assert message["X-Unsent"] == "1"


def test_the_eml_body_is_the_letter_in_utf8() -> None:
    letter = render_letter(public_case(), public_target(RU_TARGET), "ru", on=ON)
    data = letter_eml(letter)
    message = _parse(data)
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().strip() == letter.message
    # 8bit: the letter is readable in the file itself.
    assert "Уважаемый господин министр!".encode() in data


def test_an_eml_for_a_target_without_email_has_no_to_but_keeps_the_copies() -> None:
    no_email = replace(KK_TARGET, email=None)
    case = public_case(targets=(no_email, COPY_TARGET))
    message = _parse(letter_eml(render_letter(case, public_target(no_email), "en", on=ON)))
    assert message["To"] is None
    assert message["Cc"].addresses[0].addr_spec == "embassy@example.org"
