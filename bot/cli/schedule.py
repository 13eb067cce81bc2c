"""`uabot schedule list`: what the scheduler will queue, and when."""

from __future__ import annotations

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.domain import scheduled
from bot.schedule import Policy
from bot.store.models import utcnow
from bot.texts import render


@click.group("schedule")
def schedule_group() -> None:
    """Deadline reminders, coordinator notices and digests."""


@schedule_group.command("list")
@pass_runtime
def list_jobs(runtime: LazyRuntime) -> None:
    """Upcoming jobs, soonest first: when, what, which case, for how many people now."""
    policy = Policy.from_settings(runtime.get().settings)
    with runtime.transaction() as session:
        lines = scheduled.listing(session, utcnow(), policy)
    if not lines:
        click.echo(render("cli/schedule_empty.txt"))
        return
    click.echo(render("cli/schedule_header.txt"))
    for line in lines:
        click.echo(render("cli/schedule_line.txt", line=line))
