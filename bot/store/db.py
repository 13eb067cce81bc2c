"""Engines and sessions. SQLite is tuned for a bot (WAL, foreign keys, busy timeout)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from bot.store.crypto import MissingKeyError

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    # Statement parameters may hold message texts or restricted values: keep them out of
    # exception messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine, "connect", _tune_sqlite)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "handle_error", _missing_key_as_is)
    return engine


def _missing_key_as_is(context: ExceptionContext) -> BaseException | None:
    # Writing a restricted column with no key fails while binding parameters, which
    # SQLAlchemy would wrap in a StatementError; callers expect the keyring's own error.
    if isinstance(context.original_exception, MissingKeyError):
        return context.original_exception
    return None


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would defer BEGIN; a bot with several writers
    # wants the busy timeout honoured, WAL for concurrent readers and real foreign keys.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class KeptConnection:
    """One connection kept open across many short transactions (the delivery sender's): the
    pool's checkout, ping and reset would cost more than such a transaction's statements. A
    connection that fails is dropped; the next transaction takes a fresh one from the pool."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction, committed when the block ends, rolled back if it raises."""
        if self._connection is None:
            self._connection = self.engine.connect()
        try:
            with self._connection.begin():
                yield self._connection
        except DBAPIError:
            self.close()
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(DBAPIError):
                connection.close()


def is_postgresql(bind: Engine | Connection | Session) -> bool:
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    return dialect.name == "postgresql"


def begin_write(session: Session) -> None:
    """Open the session's transaction now, as a writer, so that savepoints nest inside it.

    pysqlite opens SQLite's transaction only at the first INSERT, UPDATE or DELETE: a
    SAVEPOINT before that becomes the transaction itself, and releasing it commits. BEGIN
    IMMEDIATE takes the write lock at once, within the busy timeout, as the first write would
    have. psycopg needs nothing: it begins before the first statement.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if not session.connection().connection.driver_connection.in_transaction:
        session.execute(text("BEGIN IMMEDIATE"))


def savepoint(session: Session) -> SessionTransaction:
    """`session.begin_nested()`, nested inside the session's transaction on SQLite too."""
    begin_write(session)
    return session.begin_nested()
