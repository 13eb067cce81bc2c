"""`uabot sandbox`: the local Bot API server alone, for trying the bot without Telegram."""

from __future__ import annotations

import click
from aiohttp import web

from bot.sandbox.config import Config
from bot.sandbox.server import make_app
from bot.sandbox.state import BotState


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8081, show_default=True)
@click.option(
    "--telegram-limits/--no-limits",
    default=False,
    show_default=True,
    help="Enforce Telegram's flood limits: 30 messages/s overall, 1/s per chat (burst 3).",
)
def sandbox(host: str, port: int, telegram_limits: bool) -> None:
    """Run the local Bot API server that stands in for Telegram."""
    config = Config()
    if telegram_limits:
        config.update(
            {"global_rate": 30, "global_burst": 30, "per_chat_rate": 1.0, "per_chat_burst": 3}
        )
    url = f"http://{host}:{port}"
    click.echo(f"local Bot API server on {url}")
    click.echo(f"  BOT_API_BASE_URL={url}/bot")
    click.echo(f"  control API: {url}/_control/ (see docs/CONTROL_API.md)")
    web.run_app(make_app(BotState(config)), host=host, port=port, print=None)
