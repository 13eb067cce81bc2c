"""Shared pieces of the security tests: the bot over the local Bot API server (optionally with
the delivery worker beside it, as `uabot run` has it), a DEBUG capture of every log record
through the same redaction Runtime installs, and plain-SQL readers of the raw tables."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from bot import logging_filters
from bot.domain import staff
from bot.sandbox.local import RunningServer, run_server
from bot.telegram.thread import BotThread
from tests.live import live_application

# Shaped like a real token, so the redaction is tested on what Telegram issues.
TOKEN = "7405118953:AAHx-Canary_TOKEN-kq3Zb9YvW1mPzT0sEcR"
ADMIN = 4242_0001
COORDINATOR = 4242_0002
SUBSCRIBER = 4242_0003


class Capture(logging.Handler):
    """Every record, formatted as an operator's log file would hold it (traceback included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        self.lines.append(line)
        if record.levelno >= logging.ERROR:
            self.errors.append(line)


@pytest.fixture
def logs() -> Iterator[Capture]:
    """DEBUG on the root logger, with the Redactor Runtime puts on every root handler."""
    root = logging.getLogger()
    capture = Capture()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    redactor = logging_filters.install(TOKEN)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
        for handler in root.handlers:
            handler.removeFilter(redactor)


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with run_server() as running:
        yield running


@pytest.fixture
def staffed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        staff.grant(session, staff.SYSTEM, ADMIN, "admin")
        staff.grant(session, staff.SYSTEM, COORDINATOR, "coordinator")


def start_bot(
    server: RunningServer,
    sessions: sessionmaker[Session],
    engine: Engine | None = None,
) -> BotThread:
    """The bot; with `engine`, the delivery worker too, in the bot's process and loop."""
    return BotThread(live_application(TOKEN, server, sessions, engine))


# --- the raw tables, read with plain SQL ----------------------------------------------------


@dataclass
class RawScan:
    """Which (table, column) cells hold a needle, and how many cells were looked at."""

    cells: int = 0
    hits: list[tuple[str, str, str]] = field(default_factory=list)


def raw_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the database has (not only those the models know)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            rows = conn.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608 - names from the db
            tables[name] = [dict(row._mapping) for row in rows]
    return tables


def scan_raw(engine: Engine, needles: list[str]) -> RawScan:
    """Every cell of every table as text, searched for each needle."""
    scan = RawScan()
    for table, rows in raw_rows(engine).items():
        for row in rows:
            for column, value in row.items():
                scan.cells += 1
                cell = "" if value is None else str(value)
                scan.hits.extend((table, column, n) for n in needles if n in cell)
    return scan
