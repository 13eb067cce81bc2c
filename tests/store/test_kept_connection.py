"""KeptConnection: the delivery sender's one connection, kept across its short transactions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from bot.store.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_KEPT_BUSY_TIMEOUT_MS,
    KeptConnection,
    is_postgresql,
)
from bot.store.models import Subscriber


@pytest.fixture
async def kept(engine: Engine) -> AsyncIterator[KeptConnection]:
    connection = KeptConnection(engine)
    yield connection
    await connection.close()


def add_subscriber(connection: Connection, chat_id: int) -> None:
    connection.execute(Subscriber.__table__.insert().values(chat_id=chat_id, language="en"))


def chat_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.scalars(select(Subscriber.chat_id).order_by(Subscriber.chat_id)))


async def test_each_transaction_is_committed_and_a_failing_one_rolled_back(
    kept: KeptConnection, engine: Engine
) -> None:
    await kept.run(lambda connection: add_subscriber(connection, 1))

    def add_then_fail(connection: Connection) -> None:
        add_subscriber(connection, 2)
        raise ValueError("halfway")

    with pytest.raises(ValueError, match="halfway"):
        await kept.run(add_then_fail)
    assert chat_ids(engine) == [1]
    await kept.run(lambda connection: add_subscriber(connection, 3))  # still usable
    assert chat_ids(engine) == [1, 3]


async def test_a_broken_connection_is_replaced_at_the_next_transaction(
    kept: KeptConnection, engine: Engine
) -> None:
    if is_postgresql(engine):
        pid = await kept.run(lambda c: c.scalar(select(func.pg_backend_pid())))
        with engine.begin() as other:  # the server drops it, as a restart would
            other.execute(select(func.pg_terminate_backend(pid)))
        with pytest.raises(DBAPIError):
            await kept.run(lambda c: add_subscriber(c, 1))
    else:
        with pytest.raises(DBAPIError):  # the commit finds it closed
            await kept.run(lambda c: c.connection.dbapi_connection.close())
    await kept.run(lambda c: add_subscriber(c, 2))
    assert chat_ids(engine) == [2]


async def test_the_event_loop_goes_on_while_postgresql_answers(kept: KeptConnection) -> None:
    if not is_postgresql(kept.engine):
        pytest.skip("SQLite answers in process: its statements run on the loop by design")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await kept.run(lambda c: c.execute(text("SELECT pg_sleep(0.3)")))
    ticker.cancel()
    assert ticks >= 10  # ~30 had the loop run throughout; 0 had it been blocked


async def test_on_sqlite_it_waits_briefly_for_another_writer_and_leaves_the_pool_as_it_was(
    kept: KeptConnection, engine: Engine
) -> None:
    if is_postgresql(engine):
        pytest.skip("SQLite's busy timeout; PostgreSQL's connection does not hold the loop")
    busy_timeout = text("PRAGMA busy_timeout")
    assert await kept.run(lambda c: c.scalar(busy_timeout)) == SQLITE_KEPT_BUSY_TIMEOUT_MS
    with engine.connect() as pooled:
        assert pooled.scalar(busy_timeout) == SQLITE_BUSY_TIMEOUT_MS
        pooled.exec_driver_sql("BEGIN IMMEDIATE")  # another writer holds the lock
        with pytest.raises(DBAPIError, match="database is locked"):
            await kept.run(lambda c: add_subscriber(c, 1))
        pooled.rollback()
    await kept.run(lambda c: add_subscriber(c, 2))  # the sender's next try
    assert chat_ids(engine) == [2]
