"""`uabot cases list|show|publish`."""

from __future__ import annotations

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.domain import actions, cases
from bot.domain.staff import SYSTEM
from bot.domain.views import case_line, public_case
from bot.languages import LANGUAGES
from bot.store.models import CASE_STATUSES
from bot.texts import render


@click.group("cases")
def cases_group() -> None:
    """Urgent-action cases."""


@cases_group.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(CASE_STATUSES),
    help="Only cases with this status (repeatable). Default: all.",
)
@pass_runtime
def list_cases(runtime: LazyRuntime, statuses: tuple[str, ...]) -> None:
    """One line per case, starting with its reference."""
    with runtime.transaction() as session:
        rows = cases.list_cases(session, statuses=statuses or CASE_STATUSES, limit=10_000)
        for case in rows:
            click.echo(render("cli/case_line.txt", case=case_line(case)))


@cases_group.command("show")
@click.argument("ref")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="The case's texts in this language (the nearest there is). Default: its original.",
)
@pass_runtime
def show(runtime: LazyRuntime, ref: str, lang: str | None) -> None:
    """Public and internal details of one case (never restricted fields)."""
    with runtime.transaction() as session:
        case = cases.get_case(session, ref)
        stats = actions.case_stats(session, case.ref)
        click.echo(
            render(
                "cli/case_show.txt",
                case=public_case(case, lang),
                stats=stats,
                internal_index=case.internal_index,
            )
        )


@cases_group.command("publish")
@click.argument("ref")
@pass_runtime
def publish(runtime: LazyRuntime, ref: str) -> None:
    """Publish a draft: the same alert and fan-out as the bot's /publish."""
    with runtime.transaction() as session:
        alert = cases.publish(session, SYSTEM, ref)
        click.echo(
            render("cli/published.txt", ref=cases.normalise_ref(ref), recipients=alert.recipients)
        )
