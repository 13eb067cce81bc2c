"""The databases a benchmark runs on: a SQLite file in a temporary folder, and PostgreSQL when
TEST_DATABASE_URL is set (`make bench` sets it to a throwaway database, wiped here)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine

from bot.store import migrate
from bot.store.db import make_engine


def databases(tmp: str, name: str) -> list[tuple[str, str]]:
    """(label, url) pairs: sqlite first, then postgresql when there is one."""
    found = [("sqlite", f"sqlite:///{tmp}/{name}.sqlite3")]
    if os.environ.get("TEST_DATABASE_URL"):
        found.append(("postgresql", os.environ["TEST_DATABASE_URL"]))
    return found


def fresh_engine(label: str, url: str) -> Engine:
    """An empty database at the newest schema: an earlier section's rows would skew this one."""
    if label == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for stale in path.parent.glob(f"{path.name}*"):
            stale.unlink()
    engine = make_engine(url)
    if label == "postgresql":
        migrate.downgrade(engine, "base")
    migrate.upgrade(engine)
    return engine
