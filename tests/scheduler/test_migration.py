"""Migration 0004_schedule widens two CHECK constraints. On SQLite that rebuilds `alerts`,
whose old table's drop cascades into `deliveries`: the outbox must come through whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from bot.store import migrate
from bot.store.models import Alert, Case, Delivery, Subscriber

WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def _outbox(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                select(Delivery.id, Delivery.alert_id, Delivery.status, Delivery.attempts).order_by(
                    Delivery.id
                )
            )
        ]


def test_upgrading_keeps_every_delivery_and_admits_the_new_kinds(engine: Engine) -> None:
    migrate.downgrade(engine, "0003")
    with engine.begin() as conn:
        case_id = conn.scalar(
            insert(Case).values(ref="KZ-2026-001", title="t", country="KZ").returning(Case.id)
        )
        alert_id = conn.scalar(
            insert(Alert).values(case_id=case_id, kind="new", texts={}).returning(Alert.id)
        )
        for status, attempts in (("held", 0), ("pending", 2)):
            subscriber_id = conn.scalar(
                insert(Subscriber).values(chat_id=attempts + 1).returning(Subscriber.id)
            )
            conn.execute(
                insert(Delivery).values(
                    alert_id=alert_id,
                    subscriber_id=subscriber_id,
                    status=status,
                    attempts=attempts,
                    next_attempt_at=WHEN,
                )
            )
    before = _outbox(engine)
    migrate.upgrade(engine)
    assert _outbox(engine) == before
    with engine.begin() as conn:
        conn.execute(insert(Alert).values(kind="deadline_passed", texts={}, dedupe_key="k"))
        conn.execute(text("UPDATE deliveries SET status = 'bundled' WHERE status = 'held'"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Alert).values(kind="gossip", texts={}))
