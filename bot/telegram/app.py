"""Build the python-telegram-bot Application: handlers, buttons, menus, the error handler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
)

from bot.domain.staff import ensure_admins
from bot.store.models import Staff, utcnow
from bot.telegram import commands
from bot.telegram.buttons import on_button
from bot.telegram.dispatch import Handler, Services, command
from bot.telegram.errors import on_error
from bot.telegram.handlers import coordinator as co
from bot.telegram.handlers import letters
from bot.telegram.handlers import subscriber as sub
from bot.telegram.handlers.newcase import build_conversation

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
    "letter": (None, letters.letter),
    "letter_set": ("coordinator", letters.letter_set),
    "letters_zip": ("coordinator", letters.letters_zip),
    "audit": ("admin", co.audit_log),
    "grant": ("admin", co.grant),
    "revoke": ("admin", co.revoke),
}


def build_application(
    token: str,
    sessions: sessionmaker[Session],
    *,
    base_url: str | None = None,
    admin_ids: tuple[int, ...] = (),
    clock: Callable[[], datetime] = utcnow,
    builder: ApplicationBuilder | None = None,
) -> Application:
    builder = builder or ApplicationBuilder()
    builder = builder.token(token).defaults(Defaults(parse_mode=ParseMode.HTML))
    if base_url:
        builder = builder.base_url(base_url).base_file_url(base_url.replace("/bot", "/file/bot"))
    application = builder.post_init(_post_init).build()
    application.bot_data["services"] = Services(sessions=sessions, clock=clock)
    application.bot_data["admin_ids"] = admin_ids
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    application.add_handler(build_conversation())
    for name, (role, handler) in COMMANDS.items():
        application.add_handler(CommandHandler(name, command(name, role=role)(handler)))
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
