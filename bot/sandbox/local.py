"""Run the local Bot API server in this process, and drive it: `run_server` and
`ControlClient`. The sandbox (`uabot run` without a token), the tests and the benchmarks
use it.

    with run_server(per_chat_rate=1.0) as server:
        bot = telegram.Bot(TOKEN, base_url=server.base_url)
        server.control.send_text(42, "/start")
        server.control.wait(42, count=1)

The server runs on its own event loop in a background thread, so a test's own loop (PTB's
Application in an `async def` test) is free; from such a test, await `server.acontrol`'s
methods instead, since the sync `wait` would block the loop the bot needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from bot.sandbox.config import Config
from bot.sandbox.server import make_app
from bot.sandbox.state import BotState


class WaitTimedOut(AssertionError):
    """The chat did not get the bot messages waited for; `messages` holds what it did get."""

    def __init__(self, message: str, messages: list[dict[str, Any]]) -> None:
        super().__init__(f"{message}; got: {[m.get('text') for m in messages]}")
        self.messages = messages


def _check(response: httpx.Response) -> Any:
    if response.status_code == 408:
        body = response.json()
        raise WaitTimedOut(body["error"], body["messages"])
    response.raise_for_status()
    return (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else response.content
    )


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class _Requests:
    """The control API's requests as (method, path, params/json, timeout) tuples."""

    @staticmethod
    def send_text(user_id: int, text: str, **kw: Any) -> tuple[str, str, dict[str, Any]]:
        return "POST", "/_control/updates/message", {"user_id": user_id, "text": text, **kw}

    @staticmethod
    def press(user_id: int, message_id: int, data: str, **kw: Any) -> tuple[str, str, dict]:
        body = {"user_id": user_id, "message_id": message_id, "data": data, **kw}
        return "POST", "/_control/updates/callback", body

    @staticmethod
    def messages(chat_id: int, since: int | None = None) -> tuple[str, str, dict]:
        return "GET", f"/_control/chats/{chat_id}/messages", _drop_none({"since": since})

    @staticmethod
    def wait(chat_id: int, count: int, timeout: float, since: int | None) -> tuple[str, str, dict]:
        query = _drop_none({"count": count, "timeout": timeout, "since": since})
        return "GET", f"/_control/chats/{chat_id}/wait", query

    @staticmethod
    def commands(scope: str, chat_id: int | None, language_code: str | None) -> tuple:
        query = _drop_none({"scope": scope, "chat_id": chat_id, "language_code": language_code})
        return "GET", "/_control/commands", query


class ControlClient:
    """The control API over HTTP, synchronously (httpx), as docs/CONTROL_API.md lists it."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        # verify=False: the server speaks plain HTTP, and loading CA certificates costs ~40 ms.
        self._http = httpx.Client(base_url=self.url, timeout=timeout, verify=False)  # noqa: S501

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        if method == "GET":
            return _check(self._http.get(path, params=data, **kw))
        return _check(self._http.post(path, json=data or {}, **kw))

    def send_text(self, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
        return self._call(*_Requests.send_text(user_id, text, **kw))

    def press(self, user_id: int, message_id: int, data: str, **kw: Any) -> dict[str, Any]:
        return self._call(*_Requests.press(user_id, message_id, data, **kw))

    def messages(self, chat_id: int, since: int | None = None) -> list[dict[str, Any]]:
        return self._call(*_Requests.messages(chat_id, since))

    def wait(
        self, chat_id: int, count: int = 1, timeout: float = 5.0, since: int | None = None
    ) -> list[dict[str, Any]]:
        """The chat's bot messages once there are `count`; raises `WaitTimedOut` if not."""
        _refuse_inside_event_loop()
        return self._call(*_Requests.wait(chat_id, count, timeout, since), timeout=timeout + 5)

    def callback_answers(self, callback_query_id: str | None = None) -> list[dict[str, Any]]:
        query = _drop_none({"callback_query_id": callback_query_id})
        return self._call("GET", "/_control/callback_answers", query)

    def document(self, file_id: str) -> bytes:
        return self._http.get(f"/_control/documents/{file_id}").raise_for_status().content

    def counters(self) -> dict[str, Any]:
        return self._call("GET", "/_control/counters")

    def configure(self, **config: Any) -> dict[str, Any]:
        return self._call("POST", "/_control/config", config)

    def reset(self) -> None:
        self._call("POST", "/_control/reset")

    def commands(
        self, scope: str = "default", chat_id: int | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        return self._call(*_Requests.commands(scope, chat_id, language_code))


def _refuse_inside_event_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "ControlClient.wait would block this event loop (and a bot running on it); "
        "use `await server.acontrol.wait(...)` in async code"
    )


class AsyncControlClient:
    """The same calls as `ControlClient`, for `async def` tests: each one is awaited."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout

    async def _call(self, method: str, path: str, data: dict | None = None, **kw: Any) -> Any:
        # A client per call: the test's event loop may differ from one test to the next.
        # verify=False: plain HTTP, and loading CA certificates costs ~40 ms a client.
        client = httpx.AsyncClient(base_url=self.url, timeout=self._timeout, verify=False)  # noqa: S501
        async with client as http:
            if method == "GET":
                return _check(await http.get(path, params=data, **kw))
            return _check(await http.post(path, json=data or {}, **kw))

    async def send_text(self, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
        return await self._call(*_Requests.send_text(user_id, text, **kw))

    async def press(self, user_id: int, message_id: int, data: str, **kw: Any) -> dict[str, Any]:
        return await self._call(*_Requests.press(user_id, message_id, data, **kw))

    async def messages(self, chat_id: int, since: int | None = None) -> list[dict[str, Any]]:
        return await self._call(*_Requests.messages(chat_id, since))

    async def wait(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the same call as ControlClient.wait
        since: int | None = None,
    ) -> list[dict[str, Any]]:
        request = _Requests.wait(chat_id, count, timeout, since)
        return await self._call(*request, timeout=timeout + 5)

    async def callback_answers(self, callback_query_id: str | None = None) -> list[dict]:
        query = _drop_none({"callback_query_id": callback_query_id})
        return await self._call("GET", "/_control/callback_answers", query)

    async def document(self, file_id: str) -> bytes:
        return await self._call("GET", f"/_control/documents/{file_id}")

    async def counters(self) -> dict[str, Any]:
        return await self._call("GET", "/_control/counters")

    async def configure(self, **config: Any) -> dict[str, Any]:
        return await self._call("POST", "/_control/config", config)

    async def reset(self) -> None:
        await self._call("POST", "/_control/reset")

    async def commands(
        self, scope: str = "default", chat_id: int | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        return await self._call(*_Requests.commands(scope, chat_id, language_code))


@dataclass
class RunningServer:
    url: str  # the root, e.g. http://127.0.0.1:PORT
    state: BotState  # for white-box assertions; touch it only from the server's thread
    control: ControlClient = field(init=False)
    acontrol: AsyncControlClient = field(init=False)

    def __post_init__(self) -> None:
        self.control = ControlClient(self.url)
        self.acontrol = AsyncControlClient(self.url)

    @property
    def base_url(self) -> str:
        """python-telegram-bot's `base_url` (and BOT_API_BASE_URL)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what cleanup left running (a client still reading), so nothing outlives the loop."""
    leftovers = asyncio.all_tasks(loop)
    for task in leftovers:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))


@contextlib.contextmanager
def run_server(host: str = "127.0.0.1", port: int = 0, **config: Any) -> Iterator[RunningServer]:
    """The server in a background thread for the duration of the block (port 0: a free one)."""
    settings = Config()
    settings.update(config)
    state = BotState(settings)
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    holder: dict[str, Any] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(make_app(state), handle_signals=False, shutdown_timeout=1.0)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, host, port)
        loop.run_until_complete(site.start())
        holder["port"] = runner.addresses[0][1]
        ready.set()
        loop.run_until_complete(stop.wait())
        loop.run_until_complete(runner.cleanup())
        _cancel_leftovers(loop)
        loop.close()

    thread = threading.Thread(target=serve, name="sandbox-server", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the local Bot API server did not start")
    server = RunningServer(f"http://{host}:{holder['port']}", state)
    try:
        yield server
    finally:
        server.control.close()
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
