"""Shared fixtures: a real database per test, on SQLite and (when it answers) PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.store import migrate
from bot.store.crypto import generate_key, keyring
from bot.store.db import make_engine, make_session_factory
from bot.store.models import Base, utcnow

TEST_KEY = generate_key()


@pytest.fixture(autouse=True)
def _keys() -> Iterator[str]:
    keyring.configure([TEST_KEY])
    yield TEST_KEY
    keyring.configure([TEST_KEY])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(
            "PostgreSQL not available: TEST_DATABASE_URL is not set (make test sets it "
            "when a server answers on 127.0.0.1:5432)"
        )
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    # DELETE on a handful of small tables costs ~1 ms; TRUNCATE ~90 ms a test.
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "uabot.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    engine: Engine = request.getfixturevalue("postgresql_engine")
    _truncate(engine)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def pytest_report_header() -> str:
    # `make test-later` moves it years ahead (tests/later); the header shows it did.
    return f"wall clock: {utcnow():%Y-%m-%d %H:%M} UTC"
