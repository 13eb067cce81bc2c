"""Engines: SQLite tuned for a bot, PostgreSQL through psycopg 3, parameters kept out of errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import SQLITE_BUSY_TIMEOUT_MS, is_postgresql, make_engine
from bot.store.models import Subscriber


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    with engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
    }


def test_a_plain_postgresql_url_uses_psycopg_3() -> None:
    engine = make_engine("postgresql://uabot@127.0.0.1:5432/uabot")
    assert engine.url.drivername == "postgresql+psycopg"
    assert is_postgresql(engine)
    engine.dispose()


def test_the_session_knows_its_database(sessions: sessionmaker[Session], engine: Engine) -> None:
    with sessions() as session:
        assert is_postgresql(session) == (engine.dialect.name == "postgresql")


def test_a_failing_statement_does_not_show_its_values(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(Subscriber(chat_id=5, signature="x"))
    with sessions() as session:
        session.add(Subscriber(chat_id=5, signature="CANARY-signature"))
        with pytest.raises(IntegrityError) as raised:
            session.flush()
    assert "CANARY" not in str(raised.value)


def test_sessions_keep_loaded_values_after_commit(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        subscriber = Subscriber(chat_id=5)
        session.add(subscriber)
    assert subscriber.chat_id == 5  # no refresh needed: expire_on_commit is off
    with sessions() as session:
        assert session.execute(text("SELECT count(*) FROM subscribers")).scalar_one() == 1
