"""`uabot run`: the bot and its delivery worker in one process; with no TELEGRAM_TOKEN, the
local Bot API server too (the offline sandbox)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from functools import partial
from urllib.parse import urlsplit

import click
from sqlalchemy.orm import Session
from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot.cli.context import LazyRuntime, pass_runtime
from bot.delivery.limiter import Pacer, SharedRateLimiter
from bot.delivery.sender import DeliveryConfig
from bot.delivery.worker import (
    TELEGRAM_BASE_URL,
    Worker,
    bot_api_server_of,
    bot_endpoint,
    make_bot,
    pacer_from_settings,
)
from bot.domain import staff
from bot.ops import Ops, serving
from bot.runtime import Runtime
from bot.sandbox.local import run_server
from bot.sandbox.web import DEMO_USERS
from bot.scheduler import Scheduler, beside
from bot.telegram.app import build_application
from bot.texts import render
from bot.watch import poller as watch
from bot.watch.poller import Watcher

TELEGRAM_SERVER = bot_api_server_of(TELEGRAM_BASE_URL)  # "https://api.telegram.org"
CONNECT_TIMEOUT = 10.0
FIRST_RETRY = 1.0  # seconds; doubling up to LAST_RETRY while the server cannot be reached
LAST_RETRY = 60.0


@click.command("run")
@click.option(
    "--webhook-port",
    type=click.IntRange(1, 65535),
    default=8443,
    show_default=True,
    help="Where to listen when WEBHOOK_URL is set (behind a reverse proxy).",
)
@click.option(
    "--webhook-listen",
    default="0.0.0.0",  # noqa: S104 - the default since the first release; DEPLOY.md uses loopback
    show_default=True,
    help="The address to listen on when WEBHOOK_URL is set (127.0.0.1 behind a local proxy).",
)
@pass_runtime
def run(runtime: LazyRuntime, webhook_port: int, webhook_listen: str) -> None:
    """Run the bot: long polling, or a webhook when WEBHOOK_URL is set."""
    rt = runtime.get()
    rt.require_keys()
    # httpx logs every request URL at INFO, and a Bot API URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    token, base_url = bot_endpoint(rt.settings)
    server = bot_api_server_of(base_url)
    if not rt.settings.sandbox:
        asyncio.run(wait_for_bot_api(token, base_url, server))
    with _sandbox(rt) as sandbox_url:
        pacer = pacer_from_settings(rt.settings)
        application = build_application(
            token,
            rt.sessions,
            base_url=base_url,
            admin_ids=rt.settings.ADMIN_IDS,
            rate_limiter=SharedRateLimiter(pacer),
            background=partial(_deliver, rt, token, base_url, pacer),
            sweep_interval=rt.settings.REVEAL_SWEEP_INTERVAL,
        )
        shown = None if server == TELEGRAM_SERVER else server
        click.echo(
            render(
                "cli/running.txt",
                sandbox=sandbox_url,
                webhook=rt.settings.WEBHOOK_URL,
                server=shown,
            )
        )
        if rt.settings.WEBHOOK_URL:
            if not rt.settings.WEBHOOK_SECRET:
                logging.getLogger("uabot").warning(
                    "WEBHOOK_SECRET is not set: anyone who finds the webhook URL can post updates"
                )
            application.run_webhook(
                secret_token=rt.settings.WEBHOOK_SECRET,
                listen=webhook_listen,
                port=webhook_port,
                url_path=urlsplit(rt.settings.WEBHOOK_URL).path.lstrip("/"),
                webhook_url=rt.settings.WEBHOOK_URL,
            )
        else:
            application.run_polling()


async def wait_for_bot_api(token: str, base_url: str, server: str) -> None:
    """Ask the Bot API server who the bot is until it answers: one line when it cannot be
    reached (then again only when the error changes), one when it answers. A token it
    refuses is a ClickException naming TELEGRAM_TOKEN (exit 1). No traceback."""
    request = HTTPXRequest(connect_timeout=CONNECT_TIMEOUT, read_timeout=CONNECT_TIMEOUT)
    delay, said = FIRST_RETRY, None
    while True:
        bot = Bot(token, base_url=base_url, request=request)
        try:
            await bot.initialize()
        except InvalidToken:
            raise click.ClickException(render("cli/token_refused.txt", server=server)) from None
        except TelegramError as exc:
            error = _redacted(exc.message, token)
            if error != said:
                click.echo(
                    render("cli/bot_api_unreachable.txt", server=server, error=error, wait=delay),
                    err=True,
                )
                said = error
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY)
            continue
        click.echo(render("cli/bot_api_connected.txt", server=server, username=bot.username))
        await bot.shutdown()
        return


def _redacted(message: str, token: str) -> str:
    return message.replace(token, "***") if token else message


@contextlib.contextmanager
def _sandbox(rt: Runtime) -> Iterator[str | None]:
    """No token and no BOT_API_BASE_URL: serve the local Bot API server in this process."""
    if not rt.settings.sandbox or rt.settings.BOT_API_BASE_URL:
        yield None
        return
    with rt.sessions.begin() as session:
        grant_demo_staff(session)
    # The web chat's requests and the bot's long polls would bury the banner under access logs.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    with run_server(rt.settings.SANDBOX_HOST, rt.settings.SANDBOX_PORT) as server:
        yield server.url


def grant_demo_staff(session: Session) -> None:
    """The web chat's demo coordinator and admin. Only the sandbox calls this: in production
    those ids are nobody's, and `uabot demo load` (which may run there) never grants them."""
    for user in DEMO_USERS:
        if user.role and not staff.actor_for(session, user.user_id).can(user.role):
            staff.grant(session, staff.SYSTEM, user.user_id, user.role)


async def _deliver(
    rt: Runtime, token: str, base_url: str, pacer: Pacer, stop: asyncio.Event
) -> None:
    """The outbox sender beside the bot, on the same pacer: replies go ahead of broadcasts.
    The scheduler runs beside it and queues reminders, notices and digests for it."""
    config = DeliveryConfig.from_settings(rt.settings)
    bot = make_bot(token, base_url, config.concurrency)
    ops = Ops(rt.engine, pacer.paused_for, rt.settings.SCHEDULER_INTERVAL)
    async with bot, serving(ops, rt.settings.HEALTH_HOST, rt.settings.HEALTH_PORT):
        worker = Worker(
            rt.sessions,
            rt.engine,
            bot,
            pacer,
            config,
            standby_interval=rt.settings.DELIVERY_STANDBY_INTERVAL,
        )
        # The source watch too, in its own thread: it queues news for coordinators.
        sending = watch.beside(
            worker.run(stop), Watcher.from_settings(rt.sessions, rt.settings), stop
        )
        await beside(sending, Scheduler.from_settings(rt.sessions, rt.settings), stop)
