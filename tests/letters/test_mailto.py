"""The mailto: link parsed back with urllib, and its fallback when it grows too long."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, unquote, urlsplit

from bot.letters.mailto import (
    MAIL_CLIENT_LIMIT,
    MAX_LENGTH,
    URL_BUTTON_LIMIT,
    mailto_link,
    one_tap_email,
)
from bot.letters.render import render_letter
from tests.letters.conftest import KK_TARGET, ON, public_case, public_target

SHORT_BODY = "Мен {{ people_names }} үшін жазамын."


def test_a_short_letter_becomes_a_mailto_link_a_mail_client_can_read() -> None:
    letter = render_letter(public_case(), public_target(KK_TARGET), "kk", on=ON, body=SHORT_BODY)
    link = mailto_link(letter)
    assert link is not None
    parts = urlsplit(link)
    assert parts.scheme == "mailto"
    assert unquote(parts.path) == "bas-prokuror@example.org"
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["cc"] == ["embassy@example.org"]
    assert query["subject"] == [letter.subject]
    assert query["body"] == [letter.message.replace("\n", "\r\n")]
    assert "Құрметті Бас прокурор!\r\n\r\nМен Әлия Үсенқызы" in query["body"][0]
    # Nothing a mail client could misread: spaces, line breaks and "&" are all encoded.
    assert " " not in link
    assert "\n" not in link


def test_a_letter_too_long_for_a_link_gives_none_so_the_caller_offers_the_file() -> None:
    letter = render_letter(public_case(), public_target(KK_TARGET), "kk", on=ON)
    assert mailto_link(letter) is None
    link = mailto_link(letter, max_length=100_000)
    assert link is not None
    assert len(link) > MAX_LENGTH


PAGE = "https://uabot.example.org/mail.html"


def _opened(url: str) -> dict[str, list[str]]:
    """What the mail page opens: the mailto: link after "#", parsed as a mail client would."""
    page, _, link = url.partition("#")
    assert page == PAGE and link.startswith("mailto:")
    return parse_qs(urlsplit(link).query, strict_parsing=True)


def test_a_short_cyrillic_letters_one_tap_email_opens_with_the_full_body() -> None:
    letter = render_letter(public_case(), public_target(KK_TARGET), "kk", on=ON, body=SHORT_BODY)
    url = one_tap_email(letter, PAGE)
    assert url is not None and len(url) <= URL_BUTTON_LIMIT
    assert _opened(url)["body"] == [letter.message.replace("\n", "\r\n")]


def test_a_long_cyrillic_letters_one_tap_email_falls_back_to_the_eml() -> None:
    letter = render_letter(public_case(), public_target(KK_TARGET), "kk", on=ON)
    # The rule: the full letter's mailto: link is past what mail clients open, so no button.
    assert len(mailto_link(letter, max_length=None) or "") > MAIL_CLIENT_LIMIT
    assert one_tap_email(letter, PAGE) is None


def test_no_page_or_no_address_means_no_one_tap_email() -> None:
    letter = render_letter(public_case(), public_target(KK_TARGET), "kk", on=ON, body=SHORT_BODY)
    assert one_tap_email(letter, None) is None
    no_address = replace(letter, target=replace(letter.target, email=None))
    assert one_tap_email(no_address, PAGE) is None


def test_a_link_that_fits_mail_clients_but_not_a_button_falls_back_too() -> None:
    letter = render_letter(public_case(), public_target(KK_TARGET), "kk", on=ON, body=SHORT_BODY)
    link = mailto_link(letter) or ""
    long_page = "https://uabot.example.org/" + "p" * (URL_BUTTON_LIMIT - len(link))
    assert one_tap_email(letter, long_page) is None
