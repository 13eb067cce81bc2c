"""`uabot`: the operator's command line. One module per command group."""

from __future__ import annotations

import importlib
import logging

import click

from bot.cli.context import LazyRuntime
from bot.config import ConfigError
from bot.domain.errors import DomainError

log = logging.getLogger("uabot.cli")

# name → "module:attribute"; imported only when that command runs, so `uabot cases list`
# does not pay for python-telegram-bot, aiohttp and the PDF library.
COMMANDS = {
    "audit": "bot.cli.audit:audit_group",
    "cases": "bot.cli.cases:cases_group",
    "db": "bot.cli.db:db_group",
    "demo": "bot.cli.demo:demo_group",
    "keys": "bot.cli.keys:keys_group",
    "letters": "bot.cli.letters:letters_group",
    "retention": "bot.cli.retention:retention_group",
    "run": "bot.cli.run:run",
    "sandbox": "bot.cli.sandbox:sandbox",
    "schedule": "bot.cli.schedule:schedule_group",
    "subscribers": "bot.cli.subscribers:subscribers_group",
    "worker": "bot.cli.worker:worker",
}


class UabotGroup(click.Group):
    """Turns every failure into one line and a non-zero exit; never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute = COMMANDS[cmd_name].split(":")
        return getattr(importlib.import_module(module), attribute)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        except DomainError as exc:
            raise click.ClickException(exc.message()) from None
        except Exception as exc:
            # The message may carry row values (a restricted field in an IntegrityError):
            # name the type only; the operator can rerun with LOG_LEVEL=DEBUG for the trace.
            log.debug("command failed", exc_info=True)
            raise click.ClickException(
                f"unexpected {type(exc).__name__}; nothing was changed"
            ) from None


@click.group(cls=UabotGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """uabot: urgent-action alerts and case tracking."""
    ctx.obj = LazyRuntime()
