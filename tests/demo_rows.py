"""The demo's four cases, as `demo.load_cases` writes them, for the tests whose bot starts
from them: imported once per process and database kind, then copied in row by row.

Importing a case document goes through the domain (each text audited), about half a second
for the four; a few hundred tests start from them. Copying the rows the first import wrote
takes a few milliseconds and gives the same database: the same ids, texts and audit trail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from bot.domain import demo
from bot.store.models import Base

# dialect name -> table name -> rows, as the first import in this process left them
_SNAPSHOTS: dict[str, dict[str, list[dict[str, Any]]]] = {}


def load_cases(session: Session) -> None:
    """`demo.load_cases(session)`; into an empty database, from the first import's rows."""
    dialect = session.get_bind().dialect.name
    snapshot = _SNAPSHOTS.get(dialect)
    empty = _empty(session)
    if snapshot is not None and empty:
        _copy(session, snapshot, dialect)
        return
    demo.load_cases(session)
    if snapshot is None and empty:
        session.flush()
        _SNAPSHOTS[dialect] = {
            table.name: [dict(row) for row in session.execute(select(table)).mappings()]
            for table in Base.metadata.sorted_tables
        }


def _copy(session: Session, snapshot: dict[str, list[dict[str, Any]]], dialect: str) -> None:
    for table in Base.metadata.sorted_tables:
        rows = snapshot[table.name]
        if not rows:
            continue
        session.execute(insert(table), rows)
        if dialect == "postgresql" and "id" in table.c:
            # The rows came with their ids: the sequence must start after them.
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :top)"),
                {"top": max(row["id"] for row in rows)},
            )


def _empty(session: Session) -> bool:
    return all(
        not session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    )
