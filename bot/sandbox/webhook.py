"""Pushes updates to the bot's webhook, when one is set, one at a time and in order.

A failed push is retried after a pause and recorded for getWebhookInfo, as Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.sandbox.hub import Hub
from bot.sandbox.keys import HUB, STATE
from bot.sandbox.state import BotState

log = logging.getLogger("uabot.sandbox.webhook")
RETRY_PAUSE = 0.5  # seconds; Telegram waits longer, but tests should not
PUSH_TIMEOUT = 10.0


async def _push_one(http: aiohttp.ClientSession, state: BotState) -> None:
    update = state.updates[0]
    headers = {}
    if state.webhook.get("secret_token"):
        headers["X-Telegram-Bot-Api-Secret-Token"] = state.webhook["secret_token"]
    try:
        async with http.post(state.webhook["url"], json=update, headers=headers) as response:
            if response.status >= 300:
                raise aiohttp.ClientError(f"Wrong response from the webhook: {response.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        state.webhook["last_error_date"] = int(time.time())
        state.webhook["last_error_message"] = str(exc) or type(exc).__name__
        log.debug("webhook push failed: %s", state.webhook["last_error_message"])
        await asyncio.sleep(RETRY_PAUSE)
        return
    if state.updates and state.updates[0] is update:
        state.updates.pop(0)


async def push_updates(state: BotState, hub: Hub) -> None:
    def due() -> bool:
        return bool(state.webhook.get("url") and state.take_updates(None))

    timeout = aiohttp.ClientTimeout(total=PUSH_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        while True:
            await hub.wait_until(due, 3600)
            if due():
                await _push_one(http, state)


async def webhook_context(app: web.Application) -> AsyncIterator[None]:
    """aiohttp cleanup context: the pusher runs as long as the app."""
    task = asyncio.create_task(push_updates(app[STATE], app[HUB]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
