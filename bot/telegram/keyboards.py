"""Inline keyboards. Callback data is `verb:arg` and never holds more than a case reference."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.views import CaseLine
from bot.telegram.reply import Button
from bot.texts import render

LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}


def label(lang: str, name: str, **context: object) -> str:
    return render(f"buttons/{name}.txt", lang, **context)


def case_buttons(lang: str, ref: str, *, closed: bool = False) -> list[list[Button]]:
    if closed:  # nothing left to follow, fetch or report
        return []
    return [
        [(label(lang, "follow"), f"follow:{ref}")],
        [(label(lang, "letter"), f"letter:{ref}"), (label(lang, "acted"), f"acted:{ref}")],
    ]


def cases_page_buttons(
    lang: str, views: Sequence[CaseLine], page: int, pages: int
) -> list[list[Button]]:
    rows: list[list[Button]] = [[(f"{v.ref}: {v.title}"[:60], f"case:{v.ref}")] for v in views]
    nav: list[Button] = []
    if page > 0:
        nav.append((label(lang, "prev"), f"cases:{page - 1}"))
    if page < pages - 1:
        nav.append((label(lang, "next"), f"cases:{page + 1}"))
    return rows + ([nav] if nav else [])


def language_buttons() -> list[list[Button]]:
    return [[(name, f"lang:{code}") for code, name in LANGUAGE_NAMES.items()]]


def mode_buttons(lang: str) -> list[list[Button]]:
    return [[(label(lang, "immediate"), "mode:immediate"), (label(lang, "digest"), "mode:digest")]]


def confirm_buttons(lang: str, token: str) -> list[list[Button]]:
    return [[(label(lang, "confirm"), f"ok:{token}"), (label(lang, "cancel"), f"no:{token}")]]
