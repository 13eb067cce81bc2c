"""/editcase: every field of a case from the phone, and /closed, the cases that have ended.

`/editcase REF` shows the fields as buttons; a button names the one-line form to send.
`/editcase REF FIELD VALUE` sets one: title, summary, background, themes, languages, the
source action relayed (source_ref, source_url), and the internal index and notes (those two
only in a private chat, never echoed in a group).
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain import cases
from bot.domain.reveal import PrivateOnly
from bot.domain.views import case_line
from bot.domain.vocab import THEMES
from bot.languages import LANGUAGES
from bot.store.models import TARGET_ROLES
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
    if field == "themes":
        return _themes(ctx, case.ref, list(case.themes or []))
    allowed = {"languages": LANGUAGES}.get(field, ())
    return Reply.page(
        "bot/case_field.html", ctx.lang, ref=case.ref, field=field, allowed=", ".join(allowed)
    )


def button_theme(ctx: Ctx) -> Reply:
    """th:REF:THEME: one theme on or off, and the buttons again with the marks moved."""
    if len(ctx.args) != 2 or ctx.args[1] not in THEMES:
        raise ExpiredButton
    case = cases.get_case(ctx.session, ctx.args[0], whole=False)
    themes = list(case.themes or [])
    theme = ctx.args[1]
    themes = [t for t in themes if t != theme] if theme in themes else [*themes, theme]
    case = cases.edit_case(ctx.session, ctx.actor, case.ref, "themes", " ".join(themes))
    return _themes(ctx, case.ref, list(case.themes or []))


def _themes(ctx: Ctx, ref: str, chosen: list[str]) -> Reply:
    """Each theme a button in the reader's language, marked when the case has it."""
    buttons: list[list[Button]] = [
        [(label(ctx.lang, "theme", value=t, chosen=t in chosen), f"th:{ref}:{t}")] for t in THEMES
    ]
    page = Reply.page("bot/case_themes.html", ctx.lang, buttons, ref=ref)
    return replace(page, edit=True)


def closed(ctx: Ctx) -> Reply:
    """Cases that have ended, newest first among the last fifty, each a button."""
    views = [case_line(c, ctx.lang) for c in cases.list_cases(ctx.session, statuses=("closed",))]
    return Reply.page(
        "bot/closed.html", ctx.lang, cases_page_buttons(ctx.lang, views, 0, 1), cases=views
    )


def edit_target(ctx: Ctx) -> Reply:
    """/edittarget REF N shows the target's fields as buttons; /edittarget REF N FIELD VALUE
    sets one (title, name, institution, address, email, salutation, language, role, handle,
    web_form)."""
    if len(ctx.args) < 2 or not ctx.args[1].isdigit():
        raise Usage("edittarget")
    ref, position = ctx.args[0], int(ctx.args[1])
    if len(ctx.args) == 2:
        case = cases.get_case(ctx.session, ref)
        link = cases.get_target(case, position)
        fields = cases.TARGET_EDITABLE
        rows = [fields[i : i + 3] for i in range(0, len(fields), 3)]
        pick = f"et:{case.ref}:{position}"
        buttons: list[list[Button]] = [
            [(label(ctx.lang, "target_field", field=f), f"{pick}:{f}") for f in row] for row in rows
        ]
        return Reply.page(
            "bot/target_edit.html", ctx.lang, buttons, ref=case.ref, position=position, link=link
        )
    field = ctx.args[2].lower()
    parts = ctx.rest.split(maxsplit=3)
    if field not in cases.TARGET_EDITABLE or len(parts) < 4:
        raise Usage("edittarget")
    link = cases.edit_target(ctx.session, ctx.actor, ref, position, field, parts[3])
    value = link.role if field == "role" else getattr(link.target, field)
    return Reply.page(
        "bot/target_saved.html",
        ctx.lang,
        ref=link.case.ref,
        position=position,
        field=field,
        value=value,
    )


def button_target_field(ctx: Ctx) -> Reply:
    """et:REF:N:FIELD: the role from buttons, or the one-line form for another field."""
    fields = cases.TARGET_EDITABLE
    if len(ctx.args) != 3 or not ctx.args[1].isdigit() or ctx.args[2] not in fields:
        raise ExpiredButton
    case = cases.get_case(ctx.session, ctx.args[0])
    position, field = int(ctx.args[1]), ctx.args[2]
    cases.get_target(case, position)
    buttons: list[list[Button]] = []
    if field == "role":
        buttons = [
            [(label(ctx.lang, "target_role", value=r), f"tr:{case.ref}:{position}:{r}")]
            for r in TARGET_ROLES
        ]
    return Reply.page(
        "bot/target_field.html", ctx.lang, buttons, ref=case.ref, position=position, field=field
    )


def button_target_role(ctx: Ctx) -> Reply:
    """tr:REF:N:ROLE: sets the target's role on the case."""
    if len(ctx.args) != 3 or not ctx.args[1].isdigit() or ctx.args[2] not in TARGET_ROLES:
        raise ExpiredButton
    ref, position, role = ctx.args[0], int(ctx.args[1]), ctx.args[2]
    link = cases.edit_target(ctx.session, ctx.actor, ref, position, "role", role)
    page = Reply.page(
        "bot/target_saved.html",
        ctx.lang,
        ref=link.case.ref,
        position=position,
        field="role",
        value=role,
    )
    return replace(page, edit=True)
