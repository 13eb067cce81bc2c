"""`uabot db backup FILE`: a consistent copy of a SQLite database while uabot runs, with
SQLite's online backup API (Python's `sqlite3.Connection.backup`). PostgreSQL has its own
tool, `pg_dump` (docs/DEPLOY.md).

The copy is written beside FILE under a temporary name, checked with
`PRAGMA integrity_check`, made readable by its owner only (it holds personal data, its
restricted fields still encrypted), and only then renamed to FILE: a failed or interrupted
backup never leaves a half-written FILE, and an existing FILE is never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from bot.store.db import SQLITE_BUSY_TIMEOUT_MS


class BackupError(Exception):
    """Why no backup was written: `code` names the template that explains it."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    pages: int


def backup_sqlite(engine: Engine, target: Path) -> Backup:
    if engine.dialect.name != "sqlite":
        raise BackupError("backup_postgresql")
    source_path = engine.url.database
    if not source_path or source_path == ":memory:" or not Path(source_path).is_file():
        raise BackupError("backup_no_database", path=source_path or ":memory:")
    target = target.resolve()
    if target.exists():
        raise BackupError("backup_exists", path=target)
    if not target.parent.is_dir():
        raise BackupError("backup_no_directory", path=target.parent)
    partial = target.with_name(f".{target.name}.partial")
    try:
        pages = _copy(Path(source_path), partial)
        partial.chmod(0o600)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return Backup(target, target.stat().st_size, pages)


def _copy(source_path: Path, partial: Path) -> int:
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    with (
        contextlib.closing(sqlite3.connect(source_path, timeout=timeout)) as source,
        contextlib.closing(sqlite3.connect(partial)) as copy,
    ):
        # In one step: under WAL a reader holds no lock writers wait for, so uabot goes on
        # writing while the copy is made, and the copy is one snapshot.
        source.backup(copy)
        (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise BackupError("backup_corrupt", detail=verdict)
        (pages,) = copy.execute("PRAGMA page_count").fetchone()
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    with partial.open("rb") as written:
        os.fsync(written.fileno())
    return int(pages)
