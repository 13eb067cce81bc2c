"""`uabot`: the operator's command line. One module per command group."""

from __future__ import annotations

import logging

import click

from bot.cli.audit import audit_group
from bot.cli.cases import cases_group
from bot.cli.context import LazyRuntime
from bot.cli.db import db_group
from bot.cli.demo import demo_group
from bot.cli.keys import keys_group
from bot.cli.letters import letters_group
from bot.cli.run import run
from bot.cli.sandbox import sandbox
from bot.cli.schedule import schedule_group
from bot.cli.subscribers import subscribers_group
from bot.cli.worker import worker
from bot.config import ConfigError
from bot.domain.errors import DomainError

log = logging.getLogger("uabot.cli")


class UabotGroup(click.Group):
    """Turns every failure into one line and a non-zero exit; never a traceback."""

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


main.add_command(db_group)
main.add_command(demo_group)
main.add_command(cases_group)
main.add_command(letters_group)
main.add_command(sandbox)
main.add_command(run)
main.add_command(worker)
main.add_command(keys_group)
main.add_command(audit_group)
main.add_command(subscribers_group)
main.add_command(schedule_group)
