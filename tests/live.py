"""The bot as `uabot run` runs it, for tests: the Application and, beside it in the same loop
and on the same pacer, the delivery worker draining the outbox to the local Bot API server."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.delivery.limiter import Pacer, SharedRateLimiter
from bot.delivery.sender import DeliveryConfig
from bot.delivery.worker import Worker, make_bot
from bot.sandbox.local import RunningServer
from bot.telegram.app import build_application


async def _deliver(
    token: str,
    sessions: sessionmaker[Session],
    engine: Engine,
    base_url: str,
    pacer: Pacer,
    stop: asyncio.Event,
) -> None:
    bot = make_bot(token, base_url, 4)
    async with bot:
        await Worker(
            sessions, engine, bot, pacer, DeliveryConfig(poll_interval=0.05), standby_interval=0.1
        ).run(stop)


def live_application(
    token: str,
    server: RunningServer,
    sessions: sessionmaker[Session],
    engine: Engine | None,
    **options: Any,
) -> Application:
    """With an `engine`, the worker runs beside the bot; without, the outbox is left alone."""
    pacer = Pacer(None, None)
    background = (
        partial(_deliver, token, sessions, engine, server.base_url, pacer) if engine else None
    )
    return build_application(
        token,
        sessions,
        base_url=server.base_url,
        rate_limiter=SharedRateLimiter(pacer),
        background=background,
        **options,
    )
