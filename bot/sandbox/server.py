"""The local Bot API server: Telegram's HTTP API at /bot<token>/<method>, plus the control API."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aiohttp import BodyPartReader, web

from bot.sandbox import control, samples
from bot.sandbox.errors import ApiError
from bot.sandbox.hub import Hub
from bot.sandbox.keys import HUB, STATE
from bot.sandbox.methods import METHODS
from bot.sandbox.models import User
from bot.sandbox.params import Params, Upload
from bot.sandbox.state import BotState
from bot.sandbox.web import add_routes as add_web_chat
from bot.sandbox.webhook import webhook_context

log = logging.getLogger("uabot.sandbox")

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
    samples.add_routes(app)  # the demo feed the sandbox's seed case watches (bot/watch)
    add_web_chat(app)  # the web chat at /, over the control API
    app.on_shutdown.append(_close_hub)
    app.cleanup_ctx.append(webhook_context)
    return app


async def _close_hub(app: web.Application) -> None:
    app[HUB].close()


def api_error(error: ApiError) -> web.Response:
    return web.json_response(error.to_json(), status=error.code)


class _Dropped(Exception):
    """The drop fault closed the connection: there is no one left to answer."""


async def bot_api(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    method = request.match_info["method"]
    state.counters.requests[method] += 1
    try:
        result = await _call(request, method.lower())
    except ApiError as error:
        state.counters.count_status(error.code)
        return api_error(error)
    except _Dropped:
        return web.Response()
    except Exception:
        # A bug here, not the client's fault: say so in Telegram's shape, and log it whole.
        log.exception("sandbox: %s failed", method)
        return api_error(ApiError(500, "Internal Server Error"))
    return web.json_response({"ok": True, "result": result})


async def _call(request: web.Request, method: str) -> Any:
    state = request.app[STATE]
    bot = _bot_user(state, request.match_info["token"])
    if method == "getupdates":
        return await get_updates(request.app, await read_params(request))
    handler = METHODS.get(method)
    if handler is None:
        raise ApiError(404, "Not Found")
    if method in state.config.failing_methods:
        raise ApiError(500, "Internal Server Error")
    params = await read_params(request)
    fault = await _before_sending(request) if method in FAULTY_METHODS else None
    result = handler(state, bot, params)
    request.app[HUB].wake()  # e.g. a webhook was just set: its pusher looks again
    if fault == "lost":
        _drop_connection(request, "lost")  # delivered, but the answer never arrives
    return result


def _bot_user(state: BotState, token: str) -> User:
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise ApiError(401, "Unauthorized")
    return state.bot_user(int(match.group(1)))


async def _before_sending(request: web.Request) -> str | None:
    """Draw a fault: answer 502, wait before going on, or drop the connection now."""
    state = request.app[STATE]
    fault = state.draw_fault()
    if fault == "fail":
        raise ApiError(502, "Bad Gateway")
    if fault == "slow":
        state.counters.status["slow"] += 1
        await asyncio.sleep(state.config.slow_seconds)
    if fault == "drop":
        _drop_connection(request, "dropped")
    return fault


def _drop_connection(request: web.Request, counter: str) -> None:
    request.app[STATE].counters.status[counter] += 1
    if request.transport is not None:
        request.transport.abort()
    raise _Dropped


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
            if not isinstance(part, BodyPartReader):  # a nested multipart: no field of ours
                continue
            if part.filename is not None and part.name:
                data = bytes(await part.read())
                mime = part.headers.get("Content-Type")
                files[part.name] = Upload(part.filename, mime, data)
            elif part.name:
                raw[part.name] = await part.text()
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
