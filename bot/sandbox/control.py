"""The control API of docs/CONTROL_API.md: act as users, and look at what the bot did."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from bot.sandbox.entities import bot_command_entities
from bot.sandbox.hub import CLOSED
from bot.sandbox.keys import HUB, STATE
from bot.sandbox.models import Message

SSE_KEEPALIVE = 15.0  # seconds between comment lines, so proxies keep the stream open


class ControlError(web.HTTPException):
    """A control API failure: JSON `{"error": ...}` with the given status."""

    def __init__(self, status: int, message: str) -> None:
        self.status_code = status
        super().__init__(text=json.dumps({"error": message}), content_type="application/json")


def add_routes(app: web.Application) -> None:
    add = app.router
    add.add_post("/_control/updates/message", inject_message)
    add.add_post("/_control/updates/callback", inject_callback)
    add.add_get("/_control/chats", list_chats)
    add.add_get("/_control/chats/{chat_id}/messages", chat_messages)
    add.add_get("/_control/chats/{chat_id}/wait", wait_for_messages)
    add.add_get("/_control/chats/{chat_id}/events", chat_events)
    add.add_get("/_control/callback_answers", callback_answers)
    add.add_get("/_control/documents/{file_id}", document)
    add.add_get("/_control/counters", counters)
    add.add_get("/_control/config", get_config)
    add.add_post("/_control/config", set_config)
    add.add_post("/_control/reset", reset)
    add.add_get("/_control/commands", commands)
    add.add_get("/_control/menu_button", menu_button)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ControlError(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be an integer, not {value!r}") from None


def _optional_int(value: Any, name: str) -> int | None:
    return None if value in (None, "") else _int(value, name)


async def inject_message(request: web.Request) -> web.Response:
    body = await _body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text:
        raise ControlError(400, "text must be a non-empty string")
    chat_type = body.get("chat_type", "private")
    chat_id = _optional_int(body.get("chat_id"), "chat_id")
    if chat_type not in ("private", "group", "supergroup"):
        raise ControlError(400, "chat_type must be private or group")
    if chat_type != "private" and chat_id is None:
        raise ControlError(400, "a group message needs a chat_id")
    update_id, message = request.app[STATE].inject_message(
        _int(body.get("user_id"), "user_id"),
        text,
        entities=bot_command_entities(text),
        first_name=body.get("first_name"),
        language_code=body.get("language_code"),
        chat_id=chat_id,
        chat_type=chat_type,
    )
    return web.json_response({"update_id": update_id, "message_id": message.message_id})


async def inject_callback(request: web.Request) -> web.Response:
    body = await _body(request)
    data = body.get("data")
    if not isinstance(data, str):
        raise ControlError(400, "data must be a string")
    state = request.app[STATE]
    user_id = _int(body.get("user_id"), "user_id")
    state.user(user_id, body.get("first_name"), body.get("language_code"))
    try:
        update_id, query_id = state.inject_callback(
            user_id,
            _int(body.get("message_id"), "message_id"),
            data,
            _optional_int(body.get("chat_id"), "chat_id"),
        )
    except LookupError as exc:
        raise ControlError(404, str(exc)) from None
    return web.json_response({"update_id": update_id, "callback_query_id": query_id})


async def list_chats(request: web.Request) -> web.Response:
    chats = request.app[STATE].chats.values()
    return web.json_response([chat.to_api() for chat in chats])


def _shown(messages: list[Message]) -> list[dict[str, Any]]:
    return [m.to_control() for m in messages]


async def chat_messages(request: web.Request) -> web.Response:
    chat_id = _int(request.match_info["chat_id"], "chat_id")
    since = _optional_int(request.query.get("since"), "since")
    return web.json_response(_shown(request.app[STATE].chat_messages(chat_id, since)))


async def wait_for_messages(request: web.Request) -> web.Response:
    """Long-poll until the chat holds `count` bot messages newer than `since`; 408 if not."""
    state, hub = request.app[STATE], request.app[HUB]
    chat_id = _int(request.match_info["chat_id"], "chat_id")
    count = _int(request.query.get("count", 1), "count")
    since = _optional_int(request.query.get("since"), "since")
    try:
        timeout = float(request.query.get("timeout", 5.0))
    except ValueError:
        raise ControlError(400, "timeout must be a number of seconds") from None

    def from_bot() -> list[Message]:
        return [m for m in state.chat_messages(chat_id, since) if m.from_bot]

    if await hub.wait_until(lambda: len(from_bot()) >= count, timeout):
        return web.json_response(_shown(from_bot()))
    return web.json_response(
        {
            "error": f"{len(from_bot())} of {count} bot messages after {timeout}s",
            "messages": _shown(from_bot()),
        },
        status=408,
    )


async def chat_events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: `message` for each message or edit, `callback_answer` for answers.

    With `?since=ID` the chat's messages newer than ID are sent first, so a client that
    reconnects misses nothing.
    """
    state, hub = request.app[STATE], request.app[HUB]
    chat_id = _int(request.match_info["chat_id"], "chat_id")
    since = _optional_int(request.query.get("since"), "since")
    queue = hub.subscribe(chat_id)  # before the replay: nothing falls in between
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    try:
        if since is not None:
            for message in state.chat_messages(chat_id, since):
                await _send_event(response, "message", message.to_control())
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), SSE_KEEPALIVE)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if event is CLOSED:
                break
            await _send_event(response, event.kind, event.data)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        hub.unsubscribe(chat_id, queue)
    return response


async def _send_event(response: web.StreamResponse, kind: str, data: dict[str, Any]) -> None:
    event_id = f"id: {data['message_id']}\n" if kind == "message" else ""
    payload = json.dumps(data, ensure_ascii=False)
    await response.write(f"event: {kind}\n{event_id}data: {payload}\n\n".encode())


async def callback_answers(request: web.Request) -> web.Response:
    query_id = request.query.get("callback_query_id")
    return web.json_response(request.app[STATE].callback_answers(query_id))


async def document(request: web.Request) -> web.Response:
    found = request.app[STATE].documents.get(request.match_info["file_id"])
    if found is None:
        raise ControlError(404, "no such file_id")
    return web.Response(body=found.data, content_type=found.mime_type or "application/octet-stream")


async def counters(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].counters.to_json())


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].config.to_json())


async def set_config(request: web.Request) -> web.Response:
    try:
        return web.json_response(request.app[STATE].configure(await _body(request)))
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None


async def reset(request: web.Request) -> web.Response:
    request.app[STATE].clear()
    return web.json_response({"ok": True})


async def commands(request: web.Request) -> web.Response:
    """What setMyCommands left for a scope; for a chat, what its user would be shown."""
    state = request.app[STATE]
    scope = request.query.get("scope", "default")
    language = request.query.get("language_code", "")
    if scope != "chat":
        return web.json_response(state.commands.get(scope, language))
    chat_id = _int(request.query.get("chat_id"), "chat_id")
    chat = state.chats.get(chat_id)
    user = state.users.get(chat_id)
    if not language and user is not None:
        language = user.language_code or ""  # Telegram picks the list by the user's language
    chat_type = chat.type if chat else "private"
    return web.json_response(state.commands.shown_in_chat(chat_id, chat_type, language))


async def menu_button(request: web.Request) -> web.Response:
    state = request.app[STATE]
    chat_id = _optional_int(request.query.get("chat_id"), "chat_id")
    button = state.menu_buttons.get(chat_id) or state.menu_buttons.get(None)
    return web.json_response(button or {"type": "commands"})
