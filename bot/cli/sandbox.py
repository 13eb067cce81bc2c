"""`uabot sandbox`: the local Bot API server alone, for trying the bot without Telegram."""

from __future__ import annotations

import click
from aiohttp import web

from bot.sandbox.config import TELEGRAM_LIMITS, Config
from bot.sandbox.limits import LENIENT, LIMIT_MODES, LimitMode
from bot.sandbox.server import make_app
from bot.sandbox.state import BotState


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8081, show_default=True)
@click.option(
    "--telegram-limits/--no-limits",
    default=False,
    show_default=True,
    help="Enforce Telegram's flood limits: 30 messages/s overall, 1/s per chat (burst 3), "
    "20 a minute to a group.",
)
@click.option(
    "--limit-mode",
    type=click.Choice(LIMIT_MODES),
    envvar="SANDBOX_LIMIT_MODE",
    default=LENIENT,
    show_default=True,
    help="How the limits are counted: token buckets with a burst (lenient), or at most that "
    "many in any window, by arrival time (strict). Also SANDBOX_LIMIT_MODE.",
)
def sandbox(host: str, port: int, telegram_limits: bool, limit_mode: LimitMode) -> None:
    """Run the local Bot API server that stands in for Telegram."""
    config = Config()
    config.update({"limit_mode": limit_mode})
    if telegram_limits:
        config.update(TELEGRAM_LIMITS)
    url = f"http://{host}:{port}"
    click.echo(f"local Bot API server on {url}")
    click.echo(f"  BOT_API_BASE_URL={url}/bot")
    click.echo(f"  control API: {url}/_control/ (see docs/CONTROL_API.md)")
    web.run_app(make_app(BotState(config)), host=host, port=port, print=None)
