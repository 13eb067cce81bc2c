"""Where the aiohttp app keeps the server's state and hub."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.hub import Hub
from bot.sandbox.state import BotState

STATE = web.AppKey("sandbox_state", BotState)
HUB = web.AppKey("sandbox_hub", Hub)
