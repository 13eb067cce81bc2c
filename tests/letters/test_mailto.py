"""The mailto: link parsed back with urllib, and its fallback when it grows too long."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from bot.letters.mailto import MAX_LENGTH, mailto_link
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
