"""The languages uabot speaks: the one list the store, the texts and the letters share."""

from __future__ import annotations

LANGUAGES = ("en", "ru", "kk")
DEFAULT_LANGUAGE = "en"
# English is the source text; Kazakh speakers read Russian far more often than English, so a
# string missing in Kazakh is looked up in Russian, then shown in English (per string).
FALLBACKS = {"kk": ("kk", "ru"), "ru": ("ru",), "en": ()}
