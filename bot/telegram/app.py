"""Build the python-telegram-bot Application: handlers, buttons, menus, the error handler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.domain.staff import ensure_admins
from bot.store.models import Staff, utcnow
from bot.telegram import commands, expiry
from bot.telegram.buttons import on_button
from bot.telegram.dispatch import Handler, Services, command
from bot.telegram.errors import on_error
from bot.telegram.handlers import coordinator as co
from bot.telegram.handlers import fallback, letters, safety, watch
from bot.telegram.handlers import person as reveal
from bot.telegram.handlers import subscriber as sub
from bot.telegram.handlers.newcase import build_conversation

Background = Callable[[asyncio.Event], Awaitable[None]]

# command name → (role needed, handler)
COMMANDS: dict[str, tuple[str | None, Handler]] = {
    "start": (None, sub.start),
    "help": (None, sub.help_),
    "cases": (None, sub.list_cases),
    "case": (None, sub.show_case),
    "follow": (None, sub.follow),
    "unfollow": (None, sub.unfollow),
    "mine": (None, sub.mine),
    "acted": (None, sub.acted),
    "settings": (None, sub.settings),
    "stop": (None, sub.stop),
    "addperson": ("coordinator", co.add_person),
    "addtarget": ("coordinator", co.add_target),
    "deadline": ("coordinator", co.deadline),
    "status": ("coordinator", co.status),
    "update": ("coordinator", co.update),
    "publish": ("coordinator", co.publish),
    "close": ("coordinator", co.close),
    "stats": ("coordinator", co.stats),
    "watch": ("coordinator", watch.watch),
    "unwatch": ("coordinator", watch.unwatch),
    "person": ("coordinator", reveal.person),
    "pin": ("coordinator", safety.pin),
    "panic": ("coordinator", safety.panic),
    "lockdown": ("admin", safety.lockdown),
    "unlock": ("admin", safety.unlock),
    "letter": (None, letters.letter),
    "letter_set": ("coordinator", letters.letter_set),
    "letters_zip": ("coordinator", letters.letters_zip),
    "audit": ("admin", co.audit_log),
    "grant": ("admin", co.grant),
    "revoke": ("admin", co.revoke),
}


# Handlers that render coordinators' letter bodies: in a worker thread, and not blocking
# the updates after them (PTB's block=False), so /help is answered while a body renders.
OFF_LOOP = frozenset({"letter", "letter_set", "letters_zip"})


def build_application(
    token: str,
    sessions: sessionmaker[Session],
    *,
    base_url: str | None = None,
    admin_ids: tuple[int, ...] = (),
    clock: Callable[[], datetime] = utcnow,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    background: Background | None = None,
    sweep_interval: float = 30.0,
) -> Application:
    """`background` runs beside the bot (the delivery worker) until the bot stops;
    `sweep_interval`: how often expired restricted replies are looked for, in seconds."""
    builder = ApplicationBuilder().token(token).defaults(Defaults(parse_mode=ParseMode.HTML))
    if base_url:
        builder = builder.base_url(base_url).base_file_url(base_url.replace("/bot", "/file/bot"))
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    application = builder.post_init(_post_init).post_stop(_post_stop).build()
    application.bot_data["services"] = Services(sessions=sessions, clock=clock)
    application.bot_data["admin_ids"] = admin_ids
    application.bot_data["background"] = background
    add_handlers(application)
    expiry.schedule(application, sweep_interval)
    return application


def add_handlers(application: Application) -> None:
    application.add_handler(build_conversation())
    for name, (role, handler) in COMMANDS.items():
        off_loop = name in OFF_LOOP
        callback = command(name, role=role, off_loop=off_loop)(handler)
        application.add_handler(CommandHandler(name, callback, block=not off_loop))
    # Last, so they answer only what nothing above took; in groups the bot stays quiet.
    private = filters.ChatType.PRIVATE
    unknown = command("unknown")(fallback.unknown_command)
    plain = command("text")(fallback.plain_text)
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, plain))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)


async def _post_init(application: Application) -> None:
    services: Services = application.bot_data["services"]
    with services.sessions.begin() as session:
        ensure_admins(session, application.bot_data["admin_ids"])
        staff = [
            (user_id, role) for user_id, role in session.execute(select(Staff.user_id, Staff.role))
        ]
    await commands.set_default_menus(application.bot)
    for user_id, role in staff:
        await commands.set_staff_menu(application.bot, user_id, role)
    background: Background | None = application.bot_data["background"]
    if background is not None:
        stop = application.bot_data["stop_background"] = asyncio.Event()
        application.bot_data["background_task"] = asyncio.create_task(background(stop))


async def _post_stop(application: Application) -> None:
    if "background_task" in application.bot_data:
        application.bot_data["stop_background"].set()
        await application.bot_data.pop("background_task")
