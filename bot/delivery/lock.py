"""One active sender per bot token: whoever holds the lock sends, the others stand by.

PostgreSQL: a session-level advisory lock on a connection of its own, which also LISTENs for
the fan-out's NOTIFY. The server drops the lock the moment that connection dies (a SIGKILL
closes the socket), so a standby's next try, within DELIVERY_STANDBY_INTERVAL, takes over.
SQLite: an exclusive flock on a file beside the database, dropped by the kernel likewise.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

import psycopg
from sqlalchemy import Engine

from bot.domain.alerts import OUTBOX_CHANNEL
from bot.store.db import KEEPALIVES

log = logging.getLogger("uabot.delivery.lock")


class SenderLock(Protocol):
    async def try_acquire(self) -> bool: ...

    async def lost(self) -> None:
        """Return when the lock is lost (never, for a lock that cannot be)."""

    async def release(self) -> None: ...


def lock_key(token: str) -> int:
    """A signed 64-bit key per bot (the token's public bot id, never its secret part)."""
    bot_id = token.split(":", 1)[0]
    digest = hashlib.sha256(f"uabot-sender:{bot_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def make_lock(engine: Engine, token: str, on_notify: NotifyCallback) -> SenderLock:
    key = lock_key(token)
    if engine.dialect.name == "postgresql":
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PgAdvisoryLock(conninfo, key, on_notify)
    database = engine.url.database
    if not database or database == ":memory:":
        return FileLock(None)
    return FileLock(Path(f"{database}.sender-{key & 0xFFFFFFFF:08x}.lock"))


class NotifyCallback(Protocol):
    def __call__(self) -> None: ...


class PgAdvisoryLock:
    def __init__(self, conninfo: str, key: int, on_notify: NotifyCallback) -> None:
        self._conninfo = conninfo
        self._key = key
        self._on_notify = on_notify
        self._conn: psycopg.AsyncConnection | None = None
        self._listener: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    async def try_acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, **KEEPALIVES
                )
            cursor = await self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
            row = await cursor.fetchone()
            if not (row and row[0]):
                return False
            await self._conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
        except psycopg.OperationalError:
            log.warning("sender lock: PostgreSQL did not answer", exc_info=True)
            await self._close()
            return False
        self._lost.clear()
        self._listener = asyncio.create_task(self._listen(self._conn), name="outbox-listener")
        return True

    async def _listen(self, conn: psycopg.AsyncConnection) -> None:
        try:
            async for _ in conn.notifies():
                self._on_notify()
        except psycopg.OperationalError:
            log.error("sender lock: connection to PostgreSQL lost; standing down")
        self._lost.set()

    async def lost(self) -> None:
        await self._lost.wait()

    async def release(self) -> None:
        # Unlock before closing: the server drops a closed connection's locks a moment
        # later, and a standby should not find the lock still held after a clean stop.
        await self._stop_listening()
        if self._conn is not None and not self._conn.closed:
            with contextlib.suppress(psycopg.Error):
                await self._conn.execute("SELECT pg_advisory_unlock_all()")
        await self._close()

    async def _stop_listening(self) -> None:
        # notifies() holds the connection; nothing else runs on it until it is cancelled.
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None

    async def _close(self) -> None:
        await self._stop_listening()
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
            self._conn = None


class FileLock:
    """flock on a file beside the SQLite database; `None` (in-memory) always succeeds."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        if self._path is None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def lost(self) -> None:
        await asyncio.Event().wait()  # a held flock is not lost while the process lives

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
