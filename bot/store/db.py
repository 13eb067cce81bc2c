"""Engines and sessions. SQLite is tuned for a bot (WAL, foreign keys, busy timeout)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import CursorResult, ExceptionContext, Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from bot.store.crypto import MissingKeyError

SQLITE_BUSY_TIMEOUT_MS = 10_000
# The kept connection's statements run on the event loop: waiting for another writer's lock
# must not freeze the loop (and its sends' timeouts) for long. Past this, "database is
# locked" and the sender tries again a little later.
SQLITE_KEPT_BUSY_TIMEOUT_MS = 500
# Notice a dead PostgreSQL server or network within about ten seconds, not at the next query.
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
}
T = TypeVar("T")


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


def _in_transaction(connection: Connection, work: Callable[[Connection], T]) -> T:
    with connection.begin():
        return work(connection)


def make_async_engine(engine: Engine, **kwargs: Any) -> AsyncEngine:
    """An asyncio engine (psycopg's async driver) on the same PostgreSQL database, guarded as
    `make_engine` guards the synchronous one."""
    async_engine = create_async_engine(
        engine.url, hide_parameters=True, pool_pre_ping=True, connect_args=KEEPALIVES, **kwargs
    )
    event.listen(async_engine.sync_engine, "handle_error", _missing_key_as_is)
    return async_engine


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
    pool's checkout, ping and reset would cost more than such a transaction's statements.

    On PostgreSQL it is psycopg's asynchronous connection, so the event loop goes on sending
    while the server answers; SQLite answers in process, so its statements run right here.
    A connection that fails is dropped; the next transaction opens a fresh one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = asyncio.Lock()  # one transaction at a time on the one connection
        self._connection: Connection | None = None
        self._async_engine: AsyncEngine | None = None
        self._async_connection: AsyncConnection | None = None

    async def run(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` in a transaction, committed when it returns, rolled back if it
        raises."""
        async with self._lock:
            try:
                if is_postgresql(self.engine):
                    return await self._run_async(work)
                return self._run_here(work)
            except DBAPIError:
                await self._drop()
                raise

    async def close(self) -> None:
        async with self._lock:
            await self._drop()
            if self._async_engine is not None:
                await self._async_engine.dispose()
                self._async_engine = None

    def _run_here(self, work: Callable[[Connection], T]) -> T:
        if self._connection is None:
            connection = self.engine.connect()
            connection.detach()  # its shorter busy timeout must not go back to the pool
            connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_KEPT_BUSY_TIMEOUT_MS}")
            connection.commit()  # ends the autobegun transaction, so work gets its own
            self._connection = connection
        return _in_transaction(self._connection, work)

    async def _run_async(self, work: Callable[[Connection], T]) -> T:
        if self._async_connection is None:
            if self._async_engine is None:
                self._async_engine = make_async_engine(self.engine, pool_size=1)
            self._async_connection = await self._async_engine.connect()
        # BEGIN, the work and COMMIT in one trip into SQLAlchemy's synchronous core (each
        # AsyncConnection call is one).
        return await self._async_connection.run_sync(_in_transaction, work)

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        async_connection, self._async_connection = self._async_connection, None
        with contextlib.suppress(DBAPIError):
            if connection is not None:
                connection.close()
            if async_connection is not None:
                await async_connection.close()


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
    driver = session.connection().connection.driver_connection
    if driver is None or not driver.in_transaction:
        session.execute(text("BEGIN IMMEDIATE"))


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched (`execute` types its result as a plain Result)."""
    return int(cast("CursorResult[Any]", result).rowcount)


def savepoint(session: Session) -> SessionTransaction:
    """`session.begin_nested()`, nested inside the session's transaction on SQLite too."""
    begin_write(session)
    return session.begin_nested()
