"""Build the python-telegram-bot Application: handlers, buttons, menus, the error handler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.domain.staff import ensure_admins
from bot.ops import HEALTH, TrackedRequest
from bot.store.models import Staff, utcnow
from bot.telegram import commands, expiry
from bot.telegram.buttons import on_button
from bot.telegram.context import CONTEXT_TYPES, Background, BotData, Context, Services
from bot.telegram.dispatch import Handler, command
from bot.telegram.errors import on_error
from bot.telegram.handlers import case_edit, fallback, letters, people, safety, watch
from bot.telegram.handlers import coordinator as co
from bot.telegram.handlers import person as reveal
from bot.telegram.handlers import subscriber as sub
from bot.telegram.handlers.newcase import build_conversation

log = logging.getLogger("uabot.telegram.app")

App = Application[ExtBot[None], Context, dict[Any, Any], dict[Any, Any], BotData, Any]

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
    "drafts": ("coordinator", co.drafts),
    "closed": ("coordinator", case_edit.closed),
    "editcase": ("coordinator", case_edit.edit_case),
    "edittarget": ("coordinator", case_edit.edit_target),
    "renew": ("coordinator", co.renew),
    "editperson": ("coordinator", people.edit_person),
    "audit": ("admin", co.audit_log),
    "grant": ("admin", co.grant),
    "revoke": ("admin", co.revoke),
}


# Handlers that render coordinators' letter bodies do not block the updates after them
# (PTB's block=False), so /help is answered while a body renders within its bounds.
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
) -> App:
    """`background` runs beside the bot (the delivery worker) until the bot stops;
    `sweep_interval`: how often expired restricted replies are looked for, in seconds."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        # PTB's own pool sizes (256 for replies, 1 for getUpdates), marking Telegram's answers.
        .request(TrackedRequest(connection_pool_size=256))
        .get_updates_request(TrackedRequest(connection_pool_size=1))
    )
    if base_url:
        builder = builder.base_url(base_url).base_file_url(base_url.replace("/bot", "/file/bot"))
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    application = (
        builder.context_types(CONTEXT_TYPES).post_init(_post_init).post_stop(_post_stop).build()
    )
    application.bot_data.services = Services(sessions=sessions, clock=clock)
    application.bot_data.admin_ids = admin_ids
    application.bot_data.background = background
    add_handlers(application)
    expiry.schedule(application, sweep_interval)
    return application


def add_handlers(application: App) -> None:
    # Before every other group: an update arriving means the last getUpdates succeeded.
    application.add_handler(TypeHandler(object, _telegram_answered), group=-100)
    application.add_handler(build_conversation())
    for name, (role, handler) in COMMANDS.items():
        callback = command(name, role=role)(handler)
        application.add_handler(CommandHandler(name, callback, block=name not in OFF_LOOP))
    # Last, so they answer only what nothing above took; in groups the bot stays quiet.
    private = filters.ChatType.PRIVATE
    unknown = command("unknown")(fallback.unknown_command)
    plain = command("text", whole=True)(fallback.plain_text)
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, plain))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)


async def _telegram_answered(update: object, context: object) -> None:
    HEALTH.telegram_ok()


async def _post_init(application: App) -> None:
    data = application.bot_data
    if data.services is None:
        raise RuntimeError("build_application sets bot_data.services")
    with data.services.sessions.begin() as session:
        ensure_admins(session, data.admin_ids)
        staff = [
            (user_id, role) for user_id, role in session.execute(select(Staff.user_id, Staff.role))
        ]
    try:
        await commands.set_default_menus(application.bot)
        for user_id, role in staff:
            await commands.set_staff_menu(application.bot, user_id, role)
    except TelegramError as exc:
        # The menus are a convenience: the bot answers its commands without them.
        log.warning("could not set the command menus (%s); the bot runs without them", exc)
    if data.background is not None:
        data.stop_background = asyncio.Event()
        data.background_task = asyncio.create_task(data.background(data.stop_background))


async def _post_stop(application: App) -> None:
    data = application.bot_data
    if data.background_task is not None:
        data.stop_background.set()
        task, data.background_task = data.background_task, None
        await task
