"""`uabot db upgrade|downgrade|backup`."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.store import migrate
from bot.store.backup import BackupError, backup_sqlite
from bot.texts import render


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


@db_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_runtime
def backup(runtime: LazyRuntime, file: Path) -> None:
    """Copy a SQLite database to FILE while uabot runs (never over an existing FILE).

    PostgreSQL: use pg_dump instead (docs/DEPLOY.md).
    """
    try:
        done = backup_sqlite(runtime.get().engine, file)
    except BackupError as exc:
        raise click.ClickException(render(f"cli/{exc.code}.txt", **exc.details)) from None
    click.echo(render("cli/backup_done.txt", path=done.path, size=done.size, pages=done.pages))
