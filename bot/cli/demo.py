"""`uabot demo load`."""

from __future__ import annotations

import time

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.domain import demo


@click.group("demo")
def demo_group() -> None:
    """Illustrative demo data (the four seed cases)."""


@demo_group.command("load")
@click.option(
    "--subscribers",
    type=click.IntRange(0, 10_000_000),
    default=0,
    show_default=True,
    help="Synthetic subscribers with chat ids 1..N following all cases.",
)
@pass_runtime
def load(runtime: LazyRuntime, subscribers: int) -> None:
    """Load the seed cases as drafts, and N subscribers; running it twice changes nothing."""
    started = time.perf_counter()
    with runtime.transaction() as session:
        result = demo.load(session, subscribers)
    click.echo(
        f"demo: {result.cases_created} cases and {result.subscribers_created} subscribers added "
        f"in {time.perf_counter() - started:.2f}s"
    )
