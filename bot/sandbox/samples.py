"""Sample feeds for the sandbox, served beside the Bot API: the demo case watches one, so a
newcomer sees a "news" message arrive (bot/watch). Static files; aiohttp's FileResponse
answers conditional requests (ETag, Last-Modified) with 304, as a polite server would."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from bot import resources

FEEDS_DIR: Path = resources.directory(resources.SAMPLE_FEEDS)
FEEDS_PATH = "/_samples/feeds/"
_NAME = re.compile(r"^[a-z0-9-]{1,64}\.xml$")


def add_routes(app: web.Application) -> None:
    app.router.add_get(FEEDS_PATH + "{name}", sample_feed)


async def sample_feed(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = FEEDS_DIR / name
    if not _NAME.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": "application/rss+xml"})
