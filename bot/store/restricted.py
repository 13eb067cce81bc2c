"""The restricted columns as stored: find them, tell whether any hold data, re-encrypt them.

Everything here reads and writes the raw ciphertext (lightweight `table()` constructs with
no types), so nothing is decrypted that does not have to be, and a token is written back
exactly as made: RestrictedText would otherwise encrypt the ciphertext a second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from sqlalchemy import Engine, Table, and_, column, func, inspect, or_, select, table
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import ColumnElement, TableClause

from bot.store.crypto import MissingKeyError, keyring
from bot.store.db import rowcount
from bot.store.models import Base
from bot.store.types import RestrictedText

ROTATE_BATCH = 500


class UndecryptableValue(Exception):
    """A stored value no configured key opens: rotating it would lose it."""

    def __init__(self, table: str, row: object) -> None:
        super().__init__(
            f"a restricted value in {table} (row {row}) opens with none of UABOT_SECRET_KEYS; "
            "add the key it was written with and run the rotation again"
        )


@dataclass(frozen=True)
class RestrictedTable:
    """One table's restricted columns, with its primary key for keyset paging."""

    name: str
    key: str
    columns: tuple[str, ...]

    def raw(self) -> TableClause:
        return table(self.name, column(self.key), *(column(c) for c in self.columns))


def restricted_tables(tables: list[Table] | None = None) -> list[RestrictedTable]:
    """Every column typed RestrictedText, found from the models: a new one is covered at once."""
    found = []
    for tbl in tables if tables is not None else Base.metadata.sorted_tables:
        names = tuple(c.name for c in tbl.columns if isinstance(c.type, RestrictedText))
        if names:
            (key,) = (c.name for c in tbl.primary_key.columns)
            found.append(RestrictedTable(tbl.name, key, names))
    return found


def _any_value(raw: TableClause, spec: RestrictedTable) -> ColumnElement[bool]:
    return or_(*(raw.c[c].is_not(None) for c in spec.columns))


def sample_token(session: Session) -> str | None:
    """One stored ciphertext, or None when no restricted value is stored (or no tables yet)."""
    existing = set(inspect(session.get_bind()).get_table_names())
    for spec in restricted_tables():
        if spec.name not in existing:
            continue
        raw = spec.raw()
        row = session.execute(select(*raw.c[1:]).where(_any_value(raw, spec)).limit(1)).first()
        if row is not None:
            return str(next(value for value in row if value is not None))
    return None


def key_problem(session: Session) -> str | None:
    """Why this process may not start against this database; None when the keys fit.

    Restricted data with no key would fail at the first read, in front of a user; a key
    that opens none of it means the operator configured the wrong one.
    """
    token = sample_token(session)
    if token is None:
        return None
    if not keyring.configured:
        return (
            "configuration error: UABOT_SECRET_KEYS is not set, but the database holds "
            "restricted data; set the key(s) it was written with (never a new one)"
        )
    try:
        keyring.decrypt(token)
    except InvalidToken:
        return (
            "configuration error: UABOT_SECRET_KEYS cannot decrypt the restricted data in "
            "the database; add the key it was written with"
        )
    return None


@dataclass(frozen=True)
class RotateStep:
    """One committed batch: rows looked at, values re-encrypted, values already current."""

    table: str
    rows: int
    rotated: int
    current: int


def count_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            conn.scalar(select(func.count()).select_from(spec.raw())) or 0
            for spec in restricted_tables()
        )


def rotate(sessions: sessionmaker[Session], batch: int = ROTATE_BATCH) -> Iterator[RotateStep]:
    """Re-encrypt every restricted value under the primary key, one committed batch at a time.

    Resumable: a value already under the primary key is skipped, so a rerun after an
    interruption only does what is left. A row the bot changed meanwhile is left alone
    (the UPDATE matches the old ciphertext): the bot wrote it with the primary key anyway.
    """
    if not keyring.configured:
        raise MissingKeyError
    for spec in restricted_tables():
        after = None
        while True:
            with sessions.begin() as session:
                step, after = _rotate_batch(session, spec, after, batch)
            if step.rows == 0:
                break
            yield step


def _rotate_batch(
    session: Session, spec: RestrictedTable, after: object, batch: int
) -> tuple[RotateStep, object]:
    raw = spec.raw()
    key = raw.c[spec.key]
    stmt = select(key, *(raw.c[c] for c in spec.columns)).order_by(key).limit(batch)
    if after is not None:
        stmt = stmt.where(key > after)
    rows = session.execute(stmt).all()
    rotated = current = 0
    for row in rows:
        old = dict(zip(spec.columns, row[1:], strict=True))
        stale = {c: v for c, v in old.items() if v is not None and not keyring.is_current(v)}
        current += sum(1 for v in old.values() if v is not None) - len(stale)
        if not stale:
            continue
        try:
            new = {c: keyring.encrypt(keyring.decrypt(v)) for c, v in stale.items()}
        except InvalidToken:
            raise UndecryptableValue(spec.name, row[0]) from None
        unchanged = and_(key == row[0], *(raw.c[c] == v for c, v in stale.items()))
        if rowcount(session.execute(raw.update().where(unchanged).values(new))) == 1:
            rotated += len(new)
    last = rows[-1][0] if rows else after
    return RotateStep(spec.name, len(rows), rotated, current), last
