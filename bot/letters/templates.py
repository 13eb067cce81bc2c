"""The two Jinja environments letters use: our own files, and a sandbox for coordinators' bodies.

Both render plain text: a letter is never HTML, so nothing is escaped here; a caller that
sends a letter with Telegram's HTML parse mode escapes it itself. Both are strict: a name
a template does not know is an error, never an empty string in a letter sent to an official.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.languages import LANGUAGES
from bot.texts import TEMPLATES_DIR

LETTERS_DIR: Path = TEMPLATES_DIR / "letters"
# A coordinator's body may repeat text or raise to a power; bounded so one typo
# (`{{ "x" * 10**9 }}`) cannot take the bot's memory.
MAX_REPEAT = 1_000
MAX_EXPONENT = 64


def _options() -> dict[str, Any]:
    return {
        "undefined": StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": False,
    }


def _add_filters(env: Environment, lang: str) -> Environment:
    env.filters["number"] = lambda value: format_decimal(value, locale=lang)
    return env


@lru_cache(maxsize=len(LANGUAGES))
def files(lang: str) -> Environment:
    """templates/letters/<lang>/: no fallback, so a missing Kazakh file fails in tests."""
    env = Environment(
        loader=FileSystemLoader(LETTERS_DIR / lang),
        autoescape=select_autoescape((), default_for_string=False),
        **_options(),
    )
    return _add_filters(env, lang)


class LetterSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox (no `_` attributes, no mutation) plus bounded `*` and `**`."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            return _bounded_power(left, right)
        return _bounded_repeat(left, right)


def _bounded_power(left: Any, right: Any) -> Any:
    if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
        raise ValueError(f"exponent above {MAX_EXPONENT}")
    return operator.pow(left, right)


def _bounded_repeat(left: Any, right: Any) -> Any:
    for value, count in ((left, right), (right, left)):
        if isinstance(value, (str, list, tuple)) and isinstance(count, int) and count > MAX_REPEAT:
            raise ValueError(f"repetition above {MAX_REPEAT}")
    return operator.mul(left, right)


@lru_cache(maxsize=len(LANGUAGES))
def sandbox(lang: str) -> Environment:
    """For bodies typed by a coordinator: no loader, so they cannot include our files."""
    return _add_filters(
        LetterSandbox(autoescape=select_autoescape((), default_for_string=False), **_options()),
        lang,
    )


def renderer(lang: str, name: str) -> Callable[..., str]:
    template = files(lang).get_template(name)
    return lambda **context: template.render(**context).strip()
