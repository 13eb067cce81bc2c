"""What the bot answers when nothing else does: never silence in a private chat.

Neither answer repeats what was typed (it may be anything, and the chat may be watched).
"""

from __future__ import annotations

from bot.telegram.dispatch import Ctx
from bot.telegram.reply import Reply


def unknown_command(ctx: Ctx) -> Reply:
    return Reply.page("bot/unknown_command.html", ctx.lang)


def plain_text(ctx: Ctx) -> Reply:
    return Reply.page("bot/plain_text.html", ctx.lang)
