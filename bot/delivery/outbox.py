"""The outbox in the database: claim due deliveries, record what became of them.

Every function takes the caller's session (or connection: the sender keeps one) first and
never commits. The sender commits a claim at once and each small group of outcomes as soon
as they are known, so the only rows whose fate a crash can hide are the claimed ones:
`claimed_at` is set on them, and the next active sender (which holds the per-token lock, so
the crashed one is gone) releases them.
No telegram import here: this is plain SQL over `deliveries` and `subscribers`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    FromClause,
    Select,
    Table,
    Update,
    bindparam,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.db import is_postgresql, rowcount
from bot.store.models import Alert, Case, Delivery, Subscriber

SENT = "sent"
RETRY = "retry"  # stays pending, tried again at `retry_at`
FAILED = "failed"  # this message only: bad request, gave up, subscriber no longer active
BLOCKED = "blocked"  # 403: the person blocked the bot; the subscriber is marked, never sent again
GONE = "gone"  # 400 "chat not found", deactivated account: likewise
OUTCOME_KINDS = (SENT, RETRY, FAILED, BLOCKED, GONE)
ERROR_LENGTH = 200  # deliveries.last_error

Db = Session | Connection


@dataclass(frozen=True)
class Claimed:
    """One claimed delivery with what the sender needs to send it."""

    id: int
    alert_id: int
    subscriber_id: int
    chat_id: int
    language: str
    subscriber_status: str
    attempts: int  # this attempt included
    timezone: str | None = None
    urgency: int = 0  # smaller goes first (bot/store/urgency.py)


@dataclass(frozen=True)
class AlertContent:
    """An alert's texts per language as rendered at publish time, and its case reference."""

    id: int
    kind: str
    texts: dict[str, str]
    case_ref: str | None
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    subscriber_id: int
    kind: str
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    new_chat_id: int | None = None  # the group became a supergroup; the message went there

    def __post_init__(self) -> None:
        if self.kind not in OUTCOME_KINDS:
            raise ValueError(f"unknown outcome {self.kind!r}")
        if self.kind == RETRY and self.retry_at is None:
            raise ValueError("a retry needs retry_at")


def claim(db: Db, now: datetime, limit: int, floor: int = 0) -> list[Claimed]:
    """Claim up to `limit` due deliveries, the most urgent first (bot/store/urgency.py), then
    oldest first; only rows the UPDATE took are ours. With `floor`, only rows at least that
    little urgent (a less urgent class's share)."""
    connection = _connection(db)
    params = {"now": now, "limit": limit, "floor": floor}
    if is_postgresql(connection):
        return [
            Claimed(*cast("tuple[Any, ...]", row))
            for row in connection.execute(_CLAIM_AND_LOAD, params)
        ]
    taken = connection.scalars(_CLAIM, params).all()
    if not taken:
        return []
    return [
        Claimed(*cast("tuple[Any, ...]", row))
        for row in connection.execute(_LOAD_CLAIMED, {"ids": taken})
    ]


def _connection(db: Db) -> Connection:
    # The sender's statements run on the connection: the ORM's layer around Session.execute
    # costs it more than they do, and they touch no ORM objects.
    return db.connection() if isinstance(db, Session) else db


def _claim_statement(*, skip_locked: bool) -> Update:
    due = (
        select(Delivery.id)
        .where(
            Delivery.status == "pending",
            Delivery.claimed_at.is_(None),
            Delivery.next_attempt_at <= bindparam("now", type_=Delivery.next_attempt_at.type),
            Delivery.urgency >= bindparam("floor", type_=Delivery.urgency.type),
        )
        .order_by(Delivery.status, Delivery.urgency, Delivery.next_attempt_at, Delivery.id)
        .limit(bindparam("limit"))
    )
    if skip_locked:
        # Another sender's claim in progress is skipped, not waited for.
        due = due.with_for_update(skip_locked=True)
    # One statement picks the rows and takes them: pending and unclaimed as it takes them
    # (locked on PostgreSQL; SQLite has one writer). Repeating those conditions beside
    # `id IN` would lead SQLite to walk every pending row instead of the picked ids.
    return (
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(
            claimed_at=bindparam("now", type_=Delivery.claimed_at.type),
            attempts=Delivery.attempts + 1,
        )
    )


def _select_claimed(rows: FromClause) -> Select[Any]:
    """Claimed's columns for `rows` (deliveries, or the ones a claim took), oldest first."""
    return (
        select(
            rows.c.id,
            rows.c.alert_id,
            rows.c.subscriber_id,
            Subscriber.chat_id,
            Subscriber.language,
            Subscriber.status,
            rows.c.attempts,
            Subscriber.timezone,
            rows.c.urgency,
        )
        .join_from(rows, Subscriber, Subscriber.id == rows.c.subscriber_id)
        .order_by(rows.c.urgency, rows.c.next_attempt_at, rows.c.id)
    )


# Built once: the sender runs them for every batch, and building a statement (and its cache
# key) costs more than running it, on the thread of Python that the sends need too.
_CLAIM = _claim_statement(skip_locked=False).returning(Delivery.id)
_LOAD_CLAIMED = _select_claimed(Delivery.__table__).where(
    Delivery.id.in_(bindparam("ids", expanding=True))
)
# PostgreSQL: take the rows and read them with their subscribers in one round trip.
# (SQLite's RETURNING cannot feed a join; in process, its second statement costs little.)
_CLAIM_AND_LOAD = _select_claimed(
    _claim_statement(skip_locked=True)
    .returning(
        Delivery.id,
        Delivery.alert_id,
        Delivery.subscriber_id,
        Delivery.attempts,
        Delivery.next_attempt_at,
        Delivery.urgency,
    )
    .cte("taken")
)


def release(db: Db, ids: Iterable[int]) -> int:
    """Give back claimed rows that were never sent (shutdown): not an attempt."""
    ids = list(ids)
    if not ids:
        return 0
    result = db.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == "pending", Delivery.claimed_at.isnot(None))
        .values(claimed_at=None, attempts=Delivery.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def release_stale(db: Db) -> int:
    """Release every claim: only the active sender (the lock holder) may call this.

    Rows a crashed sender claimed may have been sent; they go again (at-least-once).
    """
    result = db.execute(
        update(Delivery)
        .where(Delivery.status == "pending", Delivery.claimed_at.isnot(None))
        .values(claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def next_due_at(db: Db) -> datetime | None:
    """When the earliest unclaimed pending delivery falls due (None: nothing pending)."""
    return db.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.status == "pending", Delivery.claimed_at.is_(None)
        )
    )


def has_due(db: Db, before: datetime) -> bool:
    return bool(
        db.scalar(
            select(
                exists().where(
                    Delivery.status == "pending",
                    Delivery.claimed_at.is_(None),
                    Delivery.next_attempt_at <= before,
                )
            )
        )
    )


def alert_contents(db: Db, alert_ids: Iterable[int]) -> dict[int, AlertContent]:
    rows = db.execute(
        select(Alert.id, Alert.kind, Alert.texts, Case.ref, Alert.created_at)
        .outerjoin(Case, Case.id == Alert.case_id)
        .where(Alert.id.in_(list(alert_ids)))
    )
    return {
        row.id: AlertContent(row.id, row.kind, dict(row.texts or {}), row.ref, row.created_at)
        for row in rows
    }


@dataclass
class _Changes:
    """Outcomes turned into parameter rows, one executemany per kind of change."""

    deliveries: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    subscribers: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    migrations: list[tuple[int, int]] = field(default_factory=list)


def record(db: Db, outcomes: Iterable[Outcome], now: datetime) -> None:
    """Write each outcome on its row, and mark blocked and gone subscribers.

    Only rows still pending and claimed are touched: an outcome never overwrites a row that
    another sender has since finished.
    """
    changes = _Changes()
    for outcome in outcomes:
        _collect(changes, outcome, now)
    for kind, params in changes.deliveries.items():
        _connection(db).execute(_UPDATES[kind], params)
    for status, subscriber_ids in changes.subscribers.items():
        db.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(subscriber_ids), Subscriber.status == "active")
            .values(status=status)
            .execution_options(synchronize_session=False)
        )
    for subscriber_id, new_chat_id in changes.migrations:
        _move_chat(db, subscriber_id, new_chat_id)


def _collect(changes: _Changes, outcome: Outcome, now: datetime) -> None:
    error = outcome.error[:ERROR_LENGTH] if outcome.error else None
    row: dict[str, Any] = {"_id": outcome.delivery_id, "_error": error}
    if outcome.kind == SENT:
        row |= {"_message_id": outcome.message_id, "_sent_at": now}
        if outcome.new_chat_id is not None:
            changes.migrations.append((outcome.subscriber_id, outcome.new_chat_id))
    elif outcome.kind == RETRY:
        row["_retry_at"] = outcome.retry_at
    else:
        if outcome.kind in (BLOCKED, GONE):
            changes.subscribers[outcome.kind].add(outcome.subscriber_id)
        row["_error"] = error or outcome.kind
    changes.deliveries[SENT if outcome.kind == SENT else outcome.kind].append(row)


_VALUES: dict[str, dict[str, Any]] = {
    SENT: {
        "status": "sent",
        "telegram_message_id": bindparam("_message_id"),
        "sent_at": bindparam("_sent_at", type_=Delivery.sent_at.type),
    },
    RETRY: {"next_attempt_at": bindparam("_retry_at", type_=Delivery.next_attempt_at.type)},
    FAILED: {"status": "failed"},
    BLOCKED: {"status": "failed"},
    GONE: {"status": "failed"},
}


def _update_statement(kind: str) -> Update:
    table = cast(Table, Delivery.__table__)
    return (
        update(table)
        .where(
            table.c.id == bindparam("_id"),
            table.c.status == "pending",
            table.c.claimed_at.isnot(None),
        )
        .values(claimed_at=None, last_error=bindparam("_error"), **_VALUES[kind])
    )


_UPDATES = {kind: _update_statement(kind) for kind in _VALUES}  # built once, like _CLAIM


def _move_chat(db: Db, subscriber_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: its new id, unless another subscriber already has it
    (someone may /start there at any moment, so the unique index decides, not a look first)."""
    try:
        # The outcome's UPDATE has opened the transaction, so on SQLite too this savepoint
        # nests in it (store.db.savepoint's concern) rather than standing in for it.
        with db.begin_nested():
            db.execute(
                update(Subscriber)
                .where(Subscriber.id == subscriber_id)
                .values(chat_id=new_chat_id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        pass  # the old id stays; a later send to it is answered "migrated" again


def retry_at(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
