"""A local web site for the watch tests: feeds and pages the test sets, served over real HTTP
from a thread, answering conditional requests as a well-behaved server does, and counting
what it was asked. Slow answers, garbage and redirects are the test's to choose."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

RSS = "application/rss+xml"
HTML = "text/html; charset=utf-8"


@dataclass
class Resource:
    body: bytes = b""
    content_type: str = RSS
    status: int = 200
    delay: float = 0.0
    location: str | None = None  # a redirect (302) to here
    validators: bool = True  # ETag and Last-Modified, and 304 when they match
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class Site:
    url: str = ""
    resources: dict[str, Resource] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    modified: str = format_datetime(datetime(2026, 11, 1, tzinfo=UTC), usegmt=True)

    def put(self, path: str, body: bytes | str, **kw: Any) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.resources[path] = Resource(data, **kw)
        return self.url + path

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests.append((path, dict(request.headers)))
        resource = self.resources.get(path)
        if resource is None:
            return self._answer(path, web.Response(status=404, text="not here"))
        if resource.delay:
            await asyncio.sleep(resource.delay)
        if resource.location is not None:
            return self._answer(
                path, web.Response(status=302, headers={"Location": resource.location})
            )
        headers = dict(resource.headers)
        if resource.validators:
            headers |= {"ETag": resource.etag, "Last-Modified": self.modified}
            if request.headers.get("If-None-Match") == resource.etag:
                return self._answer(path, web.Response(status=304, headers=headers))
        response = web.Response(
            status=resource.status,
            body=resource.body,
            headers=headers,
            content_type=resource.content_type.split(";")[0],
            charset="utf-8" if "charset" in resource.content_type else None,
        )
        return self._answer(path, response)

    def _answer(self, path: str, response: web.Response) -> web.Response:
        self.answers[(path, response.status)] += 1
        return response


@contextlib.contextmanager
def serve_site() -> Iterator[Site]:
    """The site on 127.0.0.1 (a free port) in a thread of its own, for the block."""
    site = Site()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", site.handle)
    loop = asyncio.new_event_loop()
    ready, stop = threading.Event(), asyncio.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        loop.run_until_complete(runner.setup())
        tcp = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(tcp.start())
        site.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        ready.set()
        loop.run_until_complete(stop.wait())
        loop.run_until_complete(runner.cleanup())
        # A slow answer still sleeping: cancelled, so nothing outlives the loop.
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=serve, name="watch-test-site", daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield site
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def rss(*items: tuple[str, str, str], title: str = "Test feed") -> str:
    """An RSS 2.0 feed of (guid, title, date) items; links derive from the guid."""
    entries = "".join(
        f"<item><guid isPermaLink='false'>{guid}</guid><title>{text}</title>"
        f"<link>https://news.example.org/{guid}</link><pubDate>{date}</pubDate>"
        f"<description>About {text}</description></item>"
        for guid, text, date in items
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{title}"
        f"</title><link>https://news.example.org/</link>{entries}</channel></rss>"
    )


class Dns(AbstractResolver):
    """The DNS answers: the one thing outside the machine, so the one thing stood in for.
    No addresses: the name does not exist."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if not self.addresses:  # as aiohttp's resolvers tell a name that does not exist
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(hostname=host, host=a, port=port, family=family, proto=0, flags=0)
            for a in self.addresses
        ]

    async def close(self) -> None:
        pass


class Listener:
    """A TCP port on loopback that only counts who connected: what must never be reached.

    Nothing accepts while the test runs: the kernel completes a connection to a listening
    socket by itself, and `connections()` takes every completed one from the backlog, so a
    connection that was made is counted however fast or slow the machine is."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self._socket.setblocking(False)
        self.port: int = self._socket.getsockname()[1]
        self._count = 0

    def connections(self) -> int:
        while True:
            try:
                conn, _ = self._socket.accept()
            except BlockingIOError:
                return self._count
            self._count += 1
            conn.close()

    def close(self) -> None:
        self._socket.close()


@contextlib.contextmanager
def listen_on_loopback() -> Iterator[Listener]:
    """A listener on 127.0.0.1 (a free port), for the block."""
    listener = Listener()
    try:
        yield listener
    finally:
        listener.close()
