"""The local Bot API server: Telegram's HTTP API at /bot<token>/<method>, plus the control API."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from aiohttp import web

from bot.botapi import control
from bot.botapi.errors import ApiError
from bot.botapi.hub import Hub
from bot.botapi.keys import HUB, STATE
from bot.botapi.methods import METHODS
from bot.botapi.models import User
from bot.botapi.params import Params, Upload
from bot.botapi.state import BotState
from bot.botapi.webhook import webhook_context

log = logging.getLogger("uabot.botapi")

_TOKEN = re.compile(r"([0-9]{1,20}):[A-Za-z0-9_-]{1,100}")
FAULTY_METHODS = {"sendmessage", "senddocument"}
LONG_POLL_LIMIT = 50.0  # seconds; Telegram caps getUpdates' timeout about here


def make_app(state: BotState | None = None) -> web.Application:
    app = web.Application(client_max_size=60 * 1024 * 1024)  # sendDocument allows 50 MB
    app[STATE] = state or BotState()
    app[HUB] = Hub(app[STATE])
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/documents/{file_id}", file_download)
    control.add_routes(app)
    app.on_shutdown.append(_close_hub)
    app.cleanup_ctx.append(webhook_context)
    return app


async def _close_hub(app: web.Application) -> None:
    app[HUB].close()


def api_error(error: ApiError) -> web.Response:
    return web.json_response(error.to_json(), status=error.code)


async def bot_api(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    method = request.match_info["method"]
    state.counters.requests[method] += 1
    try:
        bot = _bot_user(state, request.match_info["token"])
        handler = METHODS.get(method.lower())
        if handler is None and method.lower() != "getupdates":
            raise ApiError(404, "Not Found")
        params = await read_params(request)
        if method.lower() == "getupdates":
            result = await get_updates(request.app, params)
        else:
            if method.lower() in FAULTY_METHODS and await _inject_fault(request):
                return web.Response()  # unreachable for the client: the connection is gone
            result = handler(state, bot, params)  # type: ignore[misc]
            request.app[HUB].wake()  # e.g. a webhook just set: its pusher looks again
    except ApiError as error:
        state.counters.count_status(error.code)
        return api_error(error)
    return web.json_response({"ok": True, "result": result})


def _bot_user(state: BotState, token: str) -> User:
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise ApiError(401, "Unauthorized")
    return state.bot_user(int(match.group(1)))


async def _inject_fault(request: web.Request) -> bool:
    """Apply a drawn fault: raise a 502, wait, or drop the connection (returns True)."""
    state = request.app[STATE]
    fault = state.draw_fault()
    if fault == "fail":
        raise ApiError(502, "Bad Gateway")
    if fault == "slow":
        state.counters.status["slow"] += 1
        await asyncio.sleep(state.config.slow_seconds)
    if fault == "drop":
        state.counters.status["dropped"] += 1
        if request.transport is not None:
            request.transport.abort()
        return True
    return False


async def read_params(request: web.Request) -> Params:
    """Query string, then the body: JSON, urlencoded form (PTB's default) or multipart."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON request body") from None
        if isinstance(body, dict):
            raw.update(body)
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.filename is not None and part.name:
                data = bytes(await part.read())
                mime = part.headers.get("Content-Type")
                files[part.name] = Upload(part.filename, mime, data)
            elif part.name:
                raw[part.name] = await part.text()  # type: ignore[union-attr]
    elif request.can_read_body:
        raw.update(await request.post())
    return Params(
        {k: v for k, v in raw.items() if isinstance(v, (str, int, float, bool, list, dict))}, files
    )


async def get_updates(app: web.Application, params: Params) -> list[dict[str, Any]]:
    """Long polling: answer at once if updates wait, else when one comes or `timeout` passes."""
    state, hub = app[STATE], app[HUB]
    if state.webhook.get("url"):
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = params.optional_integer("offset")
    limit = params.optional_integer("limit") or 100
    allowed = params.decoded("allowed_updates", "allowed updates")
    timeout = min(float(params.optional_integer("timeout") or 0), LONG_POLL_LIMIT)
    hub.poll_generation += 1
    generation = hub.poll_generation
    hub.wake()  # an older poll sees the new generation and ends with 409
    updates = state.take_updates(offset, limit, allowed)
    if updates or timeout <= 0:
        return updates
    await hub.wait_until(
        lambda: generation != hub.poll_generation or bool(state.take_updates(None, limit)),
        timeout,
    )
    if generation != hub.poll_generation:
        raise ApiError(
            409,
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        )
    return state.take_updates(None, limit)


async def file_download(request: web.Request) -> web.StreamResponse:
    document = request.app[STATE].documents.get(request.match_info["file_id"])
    if document is None:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )
    return web.Response(
        body=document.data, content_type=document.mime_type or "application/octet-stream"
    )


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
