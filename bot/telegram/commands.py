"""The command menus Telegram shows: subscribers' by default, staff's per chat."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.languages import LANGUAGES
from bot.texts import render

SUBSCRIBER_COMMANDS = (
    *("start", "help", "cases", "case", "follow", "unfollow", "mine", "letter"),
    *("acted", "settings", "stop"),
)
COORDINATOR_COMMANDS = (
    *SUBSCRIBER_COMMANDS,
    *("newcase", "addperson", "addtarget", "deadline", "status", "update", "publish", "close"),
    *("drafts", "closed", "editcase", "editperson", "stats", "letter_set", "letters_zip"),
    *("edittarget", "cancel", "person", "watch", "unwatch", "renew", "pin", "panic"),
    "translate",
)
ADMIN_COMMANDS = (*COORDINATOR_COMMANDS, "audit", "grant", "revoke", "lockdown", "unlock")
BY_ROLE = {None: SUBSCRIBER_COMMANDS, "coordinator": COORDINATOR_COMMANDS, "admin": ADMIN_COMMANDS}


def menu(names: tuple[str, ...], lang: str) -> list[BotCommand]:
    return [BotCommand(name, render("menu.txt", lang, command=name)) for name in names]


async def set_default_menus(bot: Bot) -> None:
    await bot.set_my_commands(menu(SUBSCRIBER_COMMANDS, "en"), scope=BotCommandScopeDefault())
    for lang in LANGUAGES:
        if lang != "en":
            await bot.set_my_commands(
                menu(SUBSCRIBER_COMMANDS, lang), scope=BotCommandScopeDefault(), language_code=lang
            )


async def set_staff_menu(bot: Bot, chat_id: int, role: str | None) -> None:
    """A private chat's user id is its chat id; revoking falls back to the default menu."""
    if role is None:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
        return
    await bot.set_my_commands(menu(BY_ROLE[role], "en"), scope=BotCommandScopeChat(chat_id))
