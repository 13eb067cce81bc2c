"""Inline button presses: `verb:arg` routed to handlers; anything else has expired."""

from __future__ import annotations

from telegram import Update

from bot import metrics
from bot.telegram import flood
from bot.telegram.context import Context
from bot.telegram.dispatch import (
    ExpiredButton,
    Handler,
    run_off_loop,
    send,
    services_of,
    user_data_of,
)
from bot.telegram.handlers import (
    case_edit,
    coordinator,
    letters,
    people,
    subscriber,
    translate,
    watch,
)

# verb → (role needed, handler)
ROUTES: dict[str, tuple[str | None, Handler]] = {
    "cases": (None, subscriber.button_cases),
    "case": (None, subscriber.button_case),
    "follow": (None, subscriber.button_follow),
    "more": (None, subscriber.button_more),
    "history": (None, subscriber.button_history),
    "acted": (None, subscriber.button_acted),
    "how": (None, subscriber.button_how),
    "sign": (None, subscriber.button_sign),
    "letter": (None, letters.button_letter),
    "lang": (None, subscriber.set_language),
    "mode": (None, subscriber.set_mode),
    "stop": (None, subscriber.button_stop),
    "zip": ("coordinator", letters.button_zip),
    "ok": ("coordinator", coordinator.confirm),
    "no": ("coordinator", coordinator.cancel),
    "ef": ("coordinator", people.button_field),
    "ec": ("coordinator", case_edit.button_field),
    "et": ("coordinator", case_edit.button_target_field),
    "th": ("coordinator", case_edit.button_theme),
    "tr": ("coordinator", case_edit.button_target_role),
    "co": ("coordinator", coordinator.button_outcome),
    # a preview's text in one more language (the answer comes as a plain message)
    "fl": ("coordinator", coordinator.button_add_language),
    # /translate: the case, language, field picked; a field skipped for later
    "tl": ("coordinator", translate.button),
    "ts": ("coordinator", translate.button_skip),
    "gr": ("admin", coordinator.button_role),
    "ep": ("coordinator", people.button_pick),
    # news from a watched source (bot/watch): draft further information, not relevant, mute
    "wd": ("coordinator", watch.button_draft),
    "wx": ("coordinator", watch.button_dismiss),
    "wm": ("coordinator", watch.button_mute),
}


# Buttons that may render a coordinator's letter body run in a worker thread (the "ok" of
# /letter_set renders it once more before it is saved).


def _expired(_ctx: object) -> None:
    raise ExpiredButton


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    if not await flood.admit(update, context):
        return
    with metrics.REPLY.time():
        verb, *args = (query.data or "").split(":")
        role, handler = ROUTES.get(verb, (None, _expired))
        name = f"button.{verb}"[:40]
        call = (services_of(context), update, context, name, role, handler, args, "")
        replies = await run_off_loop(*call)
        await query.answer(next((r.toast for r in replies if r.toast), None))
        if query.message is not None and hasattr(query.message, "reply_text"):
            await send(query.message, replies, user_data_of(context))  # type: ignore[arg-type]
