"""The languages uabot speaks: the one list the store, the texts and the letters share."""

from __future__ import annotations

LANGUAGES = ("en", "ru", "kk")
# Each language in its own words, for the language buttons: whoever cannot read the current
# language still finds theirs.
ENDONYMS = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
DEFAULT_LANGUAGE = "en"
# English is the source text; Kazakh speakers read Russian far more often than English, so a
# string missing in Kazakh is looked up in Russian, then shown in English (per string).
FALLBACKS = {"kk": ("kk", "ru"), "ru": ("ru",), "en": ()}
# Case content (bot/domain/translations.py): a reader whose language a case lacks gets the
# next language in this order that it has, then the case's original.
CONTENT_ORDER = ("kk", "ru", "en")
_content_order: list[tuple[str, ...]] = [CONTENT_ORDER]


def content_order() -> tuple[str, ...]:
    return _content_order[0]


def configure_content_order(order: tuple[str, ...]) -> None:
    """The deployment's order (CONTENT_LANGUAGE_ORDER), set once at start-up."""
    _content_order[0] = order
