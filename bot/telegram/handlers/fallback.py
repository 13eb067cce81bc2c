"""What the bot answers when nothing else does: never silence in a private chat.

Neither answer repeats what was typed (it may be anything, and the chat may be watched).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.staff import require
from bot.telegram import awaiting
from bot.telegram.dispatch import Ctx
from bot.telegram.handlers import coordinator, letters, subscriber, translate
from bot.telegram.reply import Reply

# the kind of question the bot asked (bot/telegram/awaiting.py) → what takes its answer
ANSWERS: dict[str, Callable[[Ctx, dict[str, str]], Reply]] = {
    "translate": translate.got_text,
    "alert_text": coordinator.got_alert_text,
    "sign": lambda ctx, _: subscriber.signer_name(ctx),
    "zip": lambda ctx, question: _zip_signed_by(ctx, question["ref"]),
}


def _zip_signed_by(ctx: Ctx, ref: str) -> Reply:
    require(ctx.actor, "coordinator", "letters_zip")
    return letters.zip_signed_by(ctx, ref)


def unknown_command(ctx: Ctx) -> Reply:
    return Reply.page("bot/unknown_command.html", ctx.lang)


def plain_text(ctx: Ctx) -> Reply:
    """The answer to the bot's open question, if one is open; else how to use the bot."""
    question = awaiting.current(ctx.user_data, ctx.now)
    if question is None or question["kind"] not in ANSWERS:
        return Reply.page("bot/plain_text.html", ctx.lang)
    return ANSWERS[question["kind"]](ctx, question)
