"""`uabot db upgrade|downgrade`."""

from __future__ import annotations

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.store import migrate


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@pass_runtime
def upgrade(runtime: LazyRuntime, revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest)."""
    migrate.upgrade(runtime.get().engine, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@pass_runtime
def downgrade(runtime: LazyRuntime, revision: str) -> None:
    """Downgrade the schema to REVISION ("base" drops everything)."""
    migrate.downgrade(runtime.get().engine, revision)
    click.echo(f"database at {revision}")
