"""A target's social-media handle and web form, as /edittarget checks them."""

from __future__ import annotations

import pytest

from bot.domain.cases import checked_handle, checked_web_form
from bot.domain.errors import InvalidValue


def test_a_handle_gets_its_at_sign_and_a_dash_clears_it() -> None:
    assert checked_handle("prokuratura_kz") == "@prokuratura_kz"
    assert checked_handle(" @gov.kz ") == "@gov.kz"
    assert checked_handle("-") is None


@pytest.mark.parametrize("value", ["", "@", "two words", "@" + "a" * 51, "<b>x</b>"])
def test_a_handle_that_no_network_has_is_refused(value: str) -> None:
    with pytest.raises(InvalidValue):
        checked_handle(value)


def test_a_web_form_is_an_https_link_and_a_dash_clears_it() -> None:
    assert checked_web_form("https://gov.example.org/appeal") == "https://gov.example.org/appeal"
    assert checked_web_form("-") is None


@pytest.mark.parametrize(
    "value",
    ["http://gov.example.org", "javascript:alert(1)", "https://localhost/x", "https://a b.org"],
)
def test_a_web_form_telegram_could_not_open_safely_is_refused(value: str) -> None:
    with pytest.raises(InvalidValue):
        checked_web_form(value)
