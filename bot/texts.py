"""Every user-facing text comes from templates/ui/…; this module only finds and renders them.

The templates are written once, in English, with their strings marked for translation
(Jinja's i18n extension: `{% trans %}`, `{% pluralize %}`); bot/locales/<lang>/LC_MESSAGES/
uabot.po holds each language's translations (docs/TRANSLATING.md). `.html` templates are
autoescaped (they go out with Telegram's HTML parse mode); `.txt` templates are plain text,
for the CLI and for messages the caller escapes itself.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_timedelta, get_timezone_location
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot import resources
from bot.languages import DEFAULT_LANGUAGE, FALLBACKS, LANGUAGES

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "environment", "normalise_language", "render"]

TEMPLATES_DIR: Path = resources.directory(resources.TEMPLATES)
UI_DIR = TEMPLATES_DIR / "ui"
LOCALES_DIR: Path = resources.directory(resources.LOCALES)
DOMAIN = "uabot"


def catalog_path(lang: str, suffix: str = ".po") -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.GNUTranslations | None:
    """The compiled catalog (`make i18n` builds it); compiled in memory from the .po when the
    .mo is missing or older, so a fresh checkout or an sdist still speaks every language."""
    po, mo = catalog_path(lang), catalog_path(lang, ".mo")
    if not po.exists():
        return None
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """gettext over a chain of catalogs, per string: kk, then ru, then the English source.

    A missing or empty translation falls through to the next catalog. So does a plural entry
    that reads exactly like the English source: Babel compiles an untranslated plural entry
    as the English msgid/msgid_plural, which would otherwise win over the Russian fallback.
    Each catalog picks its plural form by its own Plural-Forms rule, so a Russian fallback
    for a Kazakh reader has Russian plurals.
    """

    def __init__(self, chain: tuple[gettext.GNUTranslations, ...]) -> None:
        self.chain = chain

    def _look(self, key: str) -> str | None:
        for t in self.chain:
            found = t._catalog.get(key)  # type: ignore[attr-defined]
            if found:
                return str(found)
        return None

    def _look_plural(self, key: str, singular: str, plural: str, n: int) -> str | None:
        for t in self.chain:
            form = t.plural(n)  # type: ignore[attr-defined]
            found = t._catalog.get((key, form))  # type: ignore[attr-defined]
            if found and found != (singular if form == 0 else plural):
                return str(found)
        return None

    def gettext(self, message: str) -> str:
        return self._look(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self._look_plural(singular, singular, plural, n)
        return found or (singular if n == 1 else plural)

    def pgettext(self, context: str, message: str) -> str:
        return self._look(f"{context}\x04{message}") or message

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        found = self._look_plural(f"{context}\x04{singular}", singular, plural, n)
        return found or (singular if n == 1 else plural)


@lru_cache(maxsize=len(LANGUAGES))
def translator(lang: str) -> Translator:
    chain = tuple(t for code in FALLBACKS[lang] if (t := translations(code)) is not None)
    return Translator(chain)


def _format_when(value: Any, lang: str, tz: str, pattern: str) -> str:
    local = format_datetime(value, pattern, tzinfo=ZoneInfo(tz), locale=lang)
    return f"{local} ({zone_name(tz, lang)})"


def zone_name(tz: str, lang: str) -> str:
    """A time zone as the reader names it: its city in their language ('Asia/Almaty' is
    'Almaty', 'Алматы'); CLDR's longer names read oddly ('Казахстан (Алматы), летнее время'
    for a zone with no summer time)."""
    try:
        return str(get_timezone_location(tz, locale=lang, return_city=True))
    except (LookupError, ValueError):
        return tz


def language_name(code: str, lang: str) -> str:
    """'kk' as the reader calls it: 'Kazakh', 'казахский', 'қазақ тілі'."""
    try:
        return Locale.parse(code).get_language_name(lang) or code
    except (ValueError, UnknownLocaleError):
        return code


def country_name(code: str, lang: str) -> str:
    return Locale.parse(lang).territories.get(str(code).upper(), code)


@lru_cache(maxsize=len(LANGUAGES))
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(UI_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    t = translator(lang)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        t.gettext, t.ngettext, newstyle=True, pgettext=t.pgettext, npgettext=t.npgettext
    )
    # The date pattern is itself translated (templates/ui/formats/datetime.txt): each language
    # writes dates its own way ('4 January 2027', '4 января 2027 г.', '2027 жылғы 4 қаңтар').
    pattern = env.get_template("formats/datetime.txt").render().strip()

    def when(value: Any, tz: str = "UTC") -> str:
        return _format_when(value, lang, tz, pattern)

    def deadline(value: Any, case_tz: str, reader_tz: str | None = None) -> str:
        """In the case's time zone, and in the reader's too when theirs differs."""
        local = when(value, case_tz)
        if not reader_tz or reader_tz == case_tz:
            return local
        return f"{local} · {when(value, reader_tz)}"

    filters: dict[str, Callable[..., Any]] = {
        "when": when,
        "deadline": deadline,
        # '48 hours', '6 hours', '3 days': hours until two full days, so 30 h is not '1 day'.
        "duration": lambda value: format_timedelta(
            value, threshold=2, granularity="minute", locale=lang
        ),
        "number": lambda value: format_decimal(value, locale=lang),
        # 'KZ-1 or KZ-2', 'KZ-1 или KZ-2', 'KZ-1 немесе KZ-2'
        "or_list": lambda items: format_list(list(items), style="or", locale=lang),
        "language": lambda code: language_name(code, lang),
        "country": lambda code: country_name(code, lang),
        "zone": lambda tz: zone_name(tz, lang),
        # A group's label is written as it reads mid-sentence ("the family of …", «семья …»,
        # as letters use it); a list's line starts it with a capital.
        "sentence_start": lambda text: str(text)[:1].upper() + str(text)[1:],
    }
    env.filters.update(filters)
    # `tojson` (the audit's values): Kazakh and Russian as letters, not \u escapes
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    env.globals["lang"] = lang
    env.globals["tz"] = None  # the reader's time zone, where the caller knows it
    return env


def normalise_language(code: str | None) -> str:
    """A Telegram client's language_code ('kk', 'ru-RU', 'en_GB') as one of ours, the way
    aiogram's SimpleI18nMiddleware reads it: parsed as a locale, its language kept."""
    try:
        language = Locale.parse((code or "").replace("_", "-"), sep="-").language
    except (ValueError, TypeError, UnknownLocaleError):
        return DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def render(name: str, lang: str = DEFAULT_LANGUAGE, /, **context: Any) -> str:
    return environment(normalise_language(lang)).get_template(name).render(**context).strip()
