"""/editperson: a person's fields from the phone, restricted ones safely.

`/editperson REF N` shows the person and a button per field (pronoun and status are picked
from buttons; the others name the one-line form to send). `/editperson REF N FIELD VALUE`
sets one field. A restricted field (whereabouts, family contacts, sources, health, notes) is
written only in a private chat; the coordinator's message holding the value is deleted by
the bot as soon as the value is stored, and no reply repeats it.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain import cases
from bot.domain.errors import InvalidValue
from bot.domain.reveal import PrivateOnly
from bot.domain.views import public_person
from bot.store.models import PERSON_STATUSES, Person
from bot.telegram.dispatch import Ctx, ExpiredButton, Usage
from bot.telegram.keyboards import Button, label
from bot.telegram.reply import Reply

PRONOUNS = ("she", "he", "they")
NUMBERS = ("age", "group_size")
EDITABLE = ("pronoun", "age", "occupation", "group_size", "status", *Person.RESTRICTED)


def edit_person(ctx: Ctx) -> Reply:
    if len(ctx.args) < 2 or not ctx.args[1].isdigit():
        raise Usage("editperson")
    ref, position = ctx.args[0], int(ctx.args[1])
    if len(ctx.args) == 2:
        return _fields(ctx, ref, position)
    field = ctx.args[2].lower()
    if field not in EDITABLE or len(ctx.args) < 4:
        raise Usage("editperson")
    value = ctx.rest.split(maxsplit=3)[3].strip()
    return _save(ctx, ref, position, field, value)


def button_pick(ctx: Ctx) -> Reply:
    """ep:REF:N:FIELD:VALUE: a pronoun or a status picked from buttons."""
    if len(ctx.args) != 4 or not ctx.args[1].isdigit():
        raise ExpiredButton
    ref, position, field, value = ctx.args[0], int(ctx.args[1]), ctx.args[2], ctx.args[3]
    if (field, value) not in _CHOICES:
        raise ExpiredButton
    return replace(_save(ctx, ref, position, field, value), edit=True)


def button_field(ctx: Ctx) -> Reply:
    """ef:REF:N:FIELD: the choices of a pronoun or status, or how to send another field."""
    if len(ctx.args) != 3 or not ctx.args[1].isdigit() or ctx.args[2] not in EDITABLE:
        raise ExpiredButton
    ref, position, field = ctx.args[0], int(ctx.args[1]), ctx.args[2]
    case = cases.get_case(ctx.session, ref)
    cases.get_person(case, position)
    choices = {"pronoun": PRONOUNS, "status": PERSON_STATUSES}.get(field)
    pick = f"ep:{case.ref}:{position}:{field}"
    buttons: list[list[Button]] = [
        [(label(ctx.lang, "choice", field=field, value=v), f"{pick}:{v}")] for v in choices or ()
    ]
    return Reply(
        Reply.page(
            "bot/person_field.html",
            ctx.lang,
            ref=case.ref,
            position=position,
            field=field,
            choices=bool(choices),
            restricted=field in Person.RESTRICTED,
        ).html,
        buttons,
        edit=True,
    )


_CHOICES = {("pronoun", p) for p in PRONOUNS} | {("status", s) for s in PERSON_STATUSES}


def _fields(ctx: Ctx, ref: str, position: int) -> Reply:
    case = cases.get_case(ctx.session, ref)
    person = cases.get_person(case, position)
    buttons = [
        [(label(ctx.lang, "field", field=f), f"ef:{case.ref}:{position}:{f}") for f in row]
        for row in (EDITABLE[:3], EDITABLE[3:5], EDITABLE[5:8], EDITABLE[8:])
    ]
    return Reply.page(
        "bot/person_edit.html",
        ctx.lang,
        buttons,
        ref=case.ref,
        position=position,
        person=public_person(person),
    )


def _save(ctx: Ctx, ref: str, position: int, field: str, value: str) -> Reply:
    restricted = field in Person.RESTRICTED
    if restricted and not ctx.private:
        raise PrivateOnly(action="editperson", role="coordinator")
    person = cases.edit_person(
        ctx.session, ctx.actor, ref, position, **{field: _parse(field, value)}
    )
    reply = Reply.page(
        "bot/person_saved.html",
        ctx.lang,
        ref=person.case.ref,
        position=position,
        field=field,
        value=None if restricted else getattr(person, field),
        restricted=restricted,
        group_size=person.group_size,
    )
    # The value sits in the coordinator's own message: gone once it is stored encrypted.
    return replace(reply, delete_asked=restricted)


def _parse(field: str, value: str) -> object:
    if field in NUMBERS:
        if not value.isdigit():
            raise InvalidValue(field=field, limit=0)
        return int(value)
    if field == "pronoun" and value.lower() not in PRONOUNS:
        raise InvalidValue(field=field, limit=0, allowed=PRONOUNS)
    return value.lower() if field in ("pronoun", "status") else value
