"""Every user-facing text comes from templates/<lang>/…; this module only finds and renders them.

`.html` templates are autoescaped (they go out with Telegram's HTML parse mode); `.txt`
templates are plain text, for the CLI and for messages the caller escapes itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_datetime, format_timedelta
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot import resources

TEMPLATES_DIR: Path = resources.directory(resources.TEMPLATES)
LANGUAGES = ("en", "ru", "kk")
DEFAULT_LANGUAGE = "en"
# Kazakh speakers read Russian far more often than English: fall back to it first.
FALLBACKS = {"kk": ("kk", "ru", "en"), "ru": ("ru", "en"), "en": ("en",)}


def _format_when(value: Any, lang: str = DEFAULT_LANGUAGE, tz: str = "UTC") -> str:
    return format_datetime(value, "d MMMM y, HH:mm", tzinfo=_zone(tz), locale=lang) + f" ({tz})"


def _format_deadline(value: Any, lang: str, case_tz: str, reader_tz: str | None) -> str:
    """In the case's time zone, and in the reader's too when theirs differs."""
    local = _format_when(value, lang, case_tz)
    if not reader_tz or reader_tz == case_tz:
        return local
    return f"{local} · {_format_when(value, lang, reader_tz)}"


def _zone(tz: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


@lru_cache(maxsize=len(LANGUAGES))
def environment(lang: str) -> Environment:
    chain = FALLBACKS.get(lang, FALLBACKS[DEFAULT_LANGUAGE])
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES_DIR / code) for code in chain]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["when"] = lambda value, tz="UTC": _format_when(value, lang, tz)
    env.filters["deadline"] = lambda value, case_tz, reader_tz=None: _format_deadline(
        value, lang, case_tz, reader_tz
    )
    # '48 hours', '6 hours', '3 days': hours until two full days, so 30 h is not '1 day'.
    env.filters["duration"] = lambda value: format_timedelta(
        value, threshold=2, granularity="minute", locale=lang
    )
    env.globals["lang"] = lang
    env.globals["tz"] = None  # the reader's time zone, where the caller knows it
    return env


def normalise_language(code: str | None) -> str:
    code = (code or "").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def render(name: str, lang: str = DEFAULT_LANGUAGE, /, **context: Any) -> str:
    return environment(normalise_language(lang)).get_template(name).render(**context).strip()
