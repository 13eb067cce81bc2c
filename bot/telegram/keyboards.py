"""Inline keyboards. Callback data is `verb:arg` and never holds more than a case reference."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.views import CaseLine
from bot.languages import ENDONYMS, LANGUAGES
from bot.telegram.reply import Button
from bot.texts import render


def label(lang: str, name: str, **context: object) -> str:
    return render("buttons.txt", lang, name=name, **context)


def case_buttons(lang: str, ref: str, *, closed: bool = False) -> list[list[Button]]:
    """A case card's buttons: the calls to act while it runs (a closed case has none left to
    follow, fetch or report), and its background and history either way."""
    more = [(label(lang, "more"), f"more:{ref}"), (label(lang, "history"), f"history:{ref}")]
    if closed:
        return [more]
    return [
        [(label(lang, "follow"), f"follow:{ref}")],
        [(label(lang, "letter"), f"letter:{ref}"), (label(lang, "acted"), f"acted:{ref}")],
        more,
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
    return [[(ENDONYMS[code], f"lang:{code}") for code in LANGUAGES]]


def stop_buttons(lang: str) -> list[list[Button]]:
    return [[(label(lang, "erase"), "stop:yes"), (label(lang, "keep"), "stop:no")]]


def mode_buttons(lang: str) -> list[list[Button]]:
    return [[(label(lang, "immediate"), "mode:immediate"), (label(lang, "digest"), "mode:digest")]]


# How a supporter acted, asked after "I took action" (actions.how admits fax and other too).
HOWS = (("email", "letter", "web_form"), ("social", "call"))


def how_buttons(lang: str, ref: str) -> list[list[Button]]:
    return [[(label(lang, "how", value=h), f"how:{ref}:{h}") for h in row] for row in HOWS]


def confirm_buttons(lang: str, token: str) -> list[list[Button]]:
    return [[(label(lang, "confirm"), f"ok:{token}"), (label(lang, "cancel"), f"no:{token}")]]
