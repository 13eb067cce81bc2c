"""/editcase: every field of a case from the phone, and /closed, the cases that have ended.

`/editcase REF` shows the fields as buttons; a button names the one-line form to send.
`/editcase REF FIELD VALUE` sets one: title, summary, background, themes, languages, the
source action relayed (source_ref, source_url), and the internal index and notes (those two
only in a private chat, never echoed in a group).
"""

from __future__ import annotations

from bot.domain import cases
from bot.domain.reveal import PrivateOnly
from bot.domain.views import case_line
from bot.domain.vocab import THEMES
from bot.languages import LANGUAGES
from bot.telegram.dispatch import Ctx, ExpiredButton, Usage
from bot.telegram.keyboards import Button, cases_page_buttons, label
from bot.telegram.reply import Reply

INTERNAL = ("internal_index", "internal_notes")


def edit_case(ctx: Ctx) -> Reply:
    if not ctx.args:
        raise Usage("editcase")
    if not ctx.private:
        raise PrivateOnly(action="editcase", role="coordinator")
    if len(ctx.args) == 1:
        case = cases.get_case(ctx.session, ctx.args[0], whole=False)
        rows = [cases.CASE_EDITABLE[i : i + 3] for i in range(0, len(cases.CASE_EDITABLE), 3)]
        buttons: list[list[Button]] = [
            [(label(ctx.lang, "case_field", field=f), f"ec:{case.ref}:{f}") for f in row]
            for row in rows
        ]
        return Reply.page("bot/case_edit.html", ctx.lang, buttons, ref=case.ref)
    field = ctx.args[1].lower()
    parts = ctx.rest.split(maxsplit=2)
    if field not in cases.CASE_EDITABLE or len(parts) < 3:
        raise Usage("editcase")
    case = cases.edit_case(ctx.session, ctx.actor, ctx.args[0], field, parts[2])
    shown = None if field in INTERNAL else getattr(case, field)
    if isinstance(shown, list):
        shown = ", ".join(shown)
    return Reply.page("bot/case_saved.html", ctx.lang, ref=case.ref, field=field, value=shown)


def button_field(ctx: Ctx) -> Reply:
    """ec:REF:FIELD: the one-line form for that field, with what it accepts."""
    if len(ctx.args) != 2 or ctx.args[1] not in cases.CASE_EDITABLE:
        raise ExpiredButton
    case = cases.get_case(ctx.session, ctx.args[0], whole=False)
    field = ctx.args[1]
    allowed = {"themes": THEMES, "languages": LANGUAGES}.get(field, ())
    return Reply.page(
        "bot/case_field.html", ctx.lang, ref=case.ref, field=field, allowed=", ".join(allowed)
    )


def closed(ctx: Ctx) -> Reply:
    """Cases that have ended, newest first among the last fifty, each a button."""
    views = [case_line(c) for c in cases.list_cases(ctx.session, statuses=("closed",))]
    return Reply.page(
        "bot/closed.html", ctx.lang, cases_page_buttons(ctx.lang, views, 0, 1), cases=views
    )
