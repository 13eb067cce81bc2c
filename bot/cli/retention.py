"""`uabot retention run [--dry-run]`: what the scheduler does daily, by hand, with counts."""

from __future__ import annotations

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.domain import retention
from bot.store.models import utcnow
from bot.texts import render


@click.group("retention")
def retention_group() -> None:
    """Retention: restricted fields of long-closed cases."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be done; change nothing.")
@pass_runtime
def run(runtime: LazyRuntime, dry_run: bool) -> None:
    """Queue the notices due and erase what is due (RETENTION_DAYS after closing)."""
    rules = retention.Rules.from_settings(runtime.get().settings)
    with runtime.transaction() as session:
        report = retention.run(session, utcnow(), rules, dry_run=dry_run)
    click.echo(render("cli/retention.txt", report=report, dry_run=dry_run))
