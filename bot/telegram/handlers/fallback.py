"""What the bot answers when nothing else does: never silence in a private chat.

Neither answer repeats what was typed (it may be anything, and the chat may be watched).
"""

from __future__ import annotations

from bot.domain.staff import require
from bot.telegram.dispatch import AWAITING, Ctx
from bot.telegram.handlers import letters, subscriber
from bot.telegram.reply import Reply


def unknown_command(ctx: Ctx) -> Reply:
    return Reply.page("bot/unknown_command.html", ctx.lang)


def plain_text(ctx: Ctx) -> Reply:
    """The answer to a question the bot asked (the name that signs letters, the organisation
    that signs an export), else a pointer to /help."""
    awaiting = ctx.user_data.get(AWAITING)
    if awaiting == subscriber.SIGN:
        return subscriber.signer_name(ctx)
    if isinstance(awaiting, str) and awaiting.startswith("zip:"):
        require(ctx.actor, "coordinator", "letters_zip")
        return letters.zip_signed_by(ctx, awaiting.removeprefix("zip:"))
    return Reply.page("bot/plain_text.html", ctx.lang)
