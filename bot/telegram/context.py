"""What the Application keeps for the handlers, typed: python-telegram-bot's `ContextTypes`
with a `BotData` class instead of a dict of string keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.store.models import utcnow

if TYPE_CHECKING:
    from bot.telegram.flood import FloodGuard

# Runs beside the bot (the delivery worker) until the event is set.
Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class Services:
    """What handlers need to reach the store, and the clock they read."""

    sessions: sessionmaker[Session]
    clock: Callable[[], datetime] = utcnow


@dataclass
class BotData:
    """`application.bot_data`. python-telegram-bot makes it with no arguments;
    `build_application` fills it in before the bot starts."""

    services: Services | None = None
    admin_ids: tuple[int, ...] = ()
    background: Background | None = None
    flood_guard: FloodGuard | None = None  # made on first use (bot/telegram/flood.py)
    stop_background: asyncio.Event = field(default_factory=asyncio.Event)
    background_task: asyncio.Task[None] | None = None


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)


def services_of(context: Context) -> Services:
    services = context.bot_data.services
    if services is None:
        raise RuntimeError("build_application sets bot_data.services before the bot starts")
    return services
