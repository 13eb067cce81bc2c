"""The closed vocabularies of the domain: countries, themes, statuses, outcomes."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale

THEMES = (
    "detention",
    "torture",
    "surveillance",
    "freedom_of_assembly",
    "freedom_of_expression",
    "fair_trial",
    "death_in_custody",
    "reprisals",
    "political_prisoners",
    "womens_rights",
)

# The case's country decides how a deadline typed by a coordinator is read.
COUNTRY_TIMEZONES = {
    "KZ": "Asia/Almaty",
    "KG": "Asia/Bishkek",
    "UZ": "Asia/Tashkent",
    "TJ": "Asia/Dushanbe",
    "TM": "Asia/Ashgabat",
    "RU": "Europe/Moscow",
    "BY": "Europe/Minsk",
    "AZ": "Asia/Baku",
    "GE": "Asia/Tbilisi",
    "AM": "Asia/Yerevan",
    "TR": "Europe/Istanbul",
    "IR": "Asia/Tehran",
    "CN": "Asia/Shanghai",
}


# CLDR names these two-letter regions too, but none is a country a case can be about.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    territories = Locale.parse("en").territories
    return (
        frozenset(code for code in territories if isinstance(code, str) and len(code) == 2)
        - NOT_COUNTRIES
    )


def country_timezone(code: str) -> str:
    return COUNTRY_TIMEZONES.get(code, "UTC")


def normalise_country(code: str) -> str | None:
    code = code.strip().upper()
    return code if code in countries() else None
