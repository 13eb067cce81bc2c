"""Where the aiohttp app keeps the server's state and hub."""

from __future__ import annotations

from aiohttp import web

from bot.botapi.hub import Hub
from bot.botapi.state import BotState

STATE = web.AppKey("botapi_state", BotState)
HUB = web.AppKey("botapi_hub", Hub)
