"""/person REF N: a person's restricted details, for staff in a private chat (the domain checks)."""

from __future__ import annotations

from bot import metrics
from bot.domain.reveal import reveal_person
from bot.telegram.dispatch import Ctx, Usage
from bot.telegram.reply import Reply


def person(ctx: Ctx) -> Reply:
    if len(ctx.args) != 2 or not ctx.args[1].isdigit():
        raise Usage("person")
    shown = reveal_person(
        ctx.session, ctx.actor, ctx.args[0], int(ctx.args[1]), private=ctx.private
    )
    metrics.REVEALS.inc()
    return Reply.page(
        "bot/person.html",
        ctx.lang,
        ref=shown.ref,
        person=shown.person,
        restricted=shown.restricted,
    )
