"""/person REF N [PIN]: a person's restricted details, for staff in a private chat (the
domain checks), past the seized-phone safeguards (bot/domain/safeguards.py). The answer is
protected from forwarding and deleted from the chat after its time; a message holding a PIN
is deleted at once."""

from __future__ import annotations

from dataclasses import replace

from bot import metrics
from bot.config import get_settings
from bot.domain import safeguards, subscriptions
from bot.domain.reveal import RevealedPerson
from bot.domain.safeguards import Refusal, Rules
from bot.telegram.dispatch import Ctx, Usage
from bot.telegram.reply import Reply
from bot.texts import render


def person(ctx: Ctx) -> list[Reply]:
    if len(ctx.args) not in (2, 3) or not ctx.args[1].isdigit():
        raise Usage("person")
    pin = ctx.args[2] if len(ctx.args) == 3 else None
    rules = Rules.from_settings(get_settings())
    shown = safeguards.guarded_reveal(
        ctx.session,
        ctx.actor,
        ctx.args[0],
        int(ctx.args[1]),
        pin,
        private=ctx.private,
        rules=rules,
        now=ctx.now,
    )
    replies = refused(ctx, shown) if isinstance(shown, Refusal) else [revealed(ctx, shown, rules)]
    if pin is not None:
        replies[0] = replace(replies[0], delete_asked=True)
    return replies


def revealed(ctx: Ctx, shown: RevealedPerson, rules: Rules) -> Reply:
    metrics.REVEALS.inc()
    page = Reply.page(
        "bot/person.html",
        ctx.lang,
        ref=shown.ref,
        person=shown.person,
        restricted=shown.restricted,
        minutes=int(rules.delete_after.total_seconds() // 60),
    )
    return replace(page, protect=True, expires_at=ctx.now + rules.delete_after)


def refused(ctx: Ctx, refusal: Refusal) -> list[Reply]:
    """The refusal in the asker's language, and the admins' alert in theirs, if any."""
    replies = [Reply.plain(render(f"errors/{refusal.code}.txt", ctx.lang, **refusal.params))]
    if refusal.alert is not None:
        replies += admin_alerts(ctx, refusal.alert)
    return replies


def admin_alerts(ctx: Ctx, kind: str) -> list[Reply]:
    """One private message to every admin, about this member."""
    replies = []
    for admin_id in safeguards.admins(ctx.session):
        lang = _language_of(ctx, admin_id)
        html = render("bot/admin_alert.html", lang, kind=kind, user_id=ctx.user_id)
        replies.append(Reply(html, to_chat=admin_id))
    return replies


def _language_of(ctx: Ctx, user_id: int) -> str:
    subscriber = subscriptions.get_subscriber(ctx.session, user_id)
    return subscriber.language if subscriber else "en"
