"""/pin, /panic, and the admins' /lockdown and /unlock (bot/domain/safeguards.py)."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import safeguards
from bot.domain.reveal import PrivateOnly
from bot.telegram.dispatch import Ctx, Usage
from bot.telegram.handlers.person import admin_alerts, refused
from bot.telegram.reply import Reply


def pin(ctx: Ctx) -> list[Reply]:
    """/pin NEW, or /pin OLD NEW to change it; the message is deleted at once."""
    if not ctx.private:
        raise PrivateOnly(action="pin", role="coordinator")
    if len(ctx.args) not in (1, 2):
        return [replace(Usage("pin").reply(ctx.lang), delete_asked=True)]
    old, new = (None, ctx.args[0]) if len(ctx.args) == 1 else (ctx.args[0], ctx.args[1])
    refusal = safeguards.set_pin(ctx.session, ctx.actor, new, old)
    replies = refused(ctx, refusal) if refusal else [Reply.page("bot/pin_set.html", ctx.lang)]
    replies[0] = replace(replies[0], delete_asked=True)
    return replies


def panic(ctx: Ctx) -> list[Reply]:
    """The member's own role suspended, their reveals deleted, the admins told."""
    count = safeguards.panic(ctx.session, ctx.actor, ctx.chat_id, ctx.now)
    reply = Reply.page("bot/panicked.html", ctx.lang, count=count)
    reply = replace(reply, menu_for=(ctx.user_id, None), sweep_now=True)
    return [reply, *admin_alerts(ctx, "panic")]


def lockdown(ctx: Ctx) -> list[Reply]:
    """/lockdown, or /lockdown off to lift it."""
    if len(ctx.args) > 1 or (ctx.args and ctx.args[0].lower() != "off"):
        raise Usage("lockdown")
    if ctx.args:
        changed = safeguards.lift_lockdown(ctx.session, ctx.actor, ctx.now)
        return [Reply.page("bot/lockdown.html", ctx.lang, on=False, changed=changed)]
    changed = safeguards.start_lockdown(ctx.session, ctx.actor, ctx.now)
    replies = [Reply.page("bot/lockdown.html", ctx.lang, on=True, changed=changed)]
    return replies + (admin_alerts(ctx, "lockdown") if changed else [])


def unlock(ctx: Ctx) -> Reply:
    if len(ctx.args) != 1 or not ctx.args[0].isdigit():
        raise Usage("unlock")
    user_id = int(ctx.args[0])
    changed = safeguards.unlock(ctx.session, ctx.actor, user_id)
    return Reply.page("bot/unlocked.html", ctx.lang, user_id=user_id, changed=changed)
