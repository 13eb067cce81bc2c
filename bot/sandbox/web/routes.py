"""The page and its files at the server's root, and who the page may act as."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot import resources
from bot.sandbox.keys import STATE
from bot.sandbox.web.users import DEMO_USERS

STATIC: Path = resources.directory(resources.WEB_STATIC)
MAIL_PAGE: Path = resources.directory(resources.LETTERS) / "mail.html"
NO_CACHE = {"Cache-Control": "no-cache"}  # a newer page after `git pull` shows at once


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/web/demo.json", demo)
    # The one-tap e-mail page (MAIL_PAGE_URL), served here so the sandbox's buttons open it.
    app.router.add_get("/mail.html", mail_page)
    app.router.add_static("/web/", STATIC, append_version=False)
    app.on_response_prepare.append(_no_cache_for_pages)


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers=NO_CACHE)


async def mail_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(MAIL_PAGE, headers=NO_CACHE)


async def demo(request: web.Request) -> web.Response:
    """The bot's name as getMe tells it, and the demo users to switch between."""
    config = request.app[STATE].config
    return web.json_response(
        {
            "bot": {"first_name": config.bot_first_name, "username": config.bot_username},
            "users": [user.to_json() for user in DEMO_USERS],
        },
        headers=NO_CACHE,
    )


async def _no_cache_for_pages(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/web/"):
        response.headers.setdefault("Cache-Control", "no-cache")
