"""The one error handler: log the failure without message contents, apologise to the user."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import BadRequest

from bot.telegram.context import Context
from bot.telegram.dispatch import REPLY_LOST, ReplyLost
from bot.texts import normalise_language, render

log = logging.getLogger("uabot.telegram")


async def on_error(update: object, context: Context) -> None:
    error = context.error
    # exc_info carries the traceback but not the update: user text never reaches the log.
    log.error("handler failed: %s", type(error).__name__, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    lang = normalise_language(user.language_code if user else None)
    if update.callback_query is not None:
        # The press may have been answered before the failure: a second answer is refused.
        with contextlib.suppress(BadRequest):
            await update.callback_query.answer()
    if isinstance(error, ReplyLost):
        # The change was committed: "nothing was changed" would invite a second copy.
        lost = render("bot/reply_lost.html", lang)
        await context.bot.send_message(update.effective_chat.id, lost)
        if context.user_data is not None:
            context.user_data.pop(REPLY_LOST, None)  # told now; not again at the next command
        return
    await context.bot.send_message(update.effective_chat.id, render("bot/failed.html", lang))
