"""Migration 0005_watch widens the alerts' kind CHECK. On SQLite that rebuilds `alerts`, whose
old table's drop cascades into `deliveries`: the outbox must come through whole, both ways."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, inspect, select

from bot.store import migrate
from bot.store.models import Alert, Delivery, Subscriber

WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def _outbox(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Delivery.id, Delivery.alert_id, Delivery.status).order_by(Delivery.id)
        )
        return [tuple(row) for row in rows]


def _queue(engine: Engine, kind: str, chat_id: int) -> None:
    with engine.begin() as conn:
        alert_id = conn.scalar(insert(Alert).values(kind=kind, texts={}).returning(Alert.id))
        subscriber_id = conn.scalar(
            insert(Subscriber).values(chat_id=chat_id).returning(Subscriber.id)
        )
        conn.execute(
            insert(Delivery).values(
                alert_id=alert_id, subscriber_id=subscriber_id, next_attempt_at=WHEN
            )
        )


def test_the_outbox_comes_through_the_upgrade_and_the_downgrade(engine: Engine) -> None:
    migrate.downgrade(engine, "0004_schedule")
    assert "watch_sources" not in inspect(engine).get_table_names()
    _queue(engine, "stale", 1)
    before = _outbox(engine)
    migrate.upgrade(engine)
    assert _outbox(engine) == before
    _queue(engine, "news", 2)  # admitted now
    migrate.downgrade(engine, "0004_schedule")
    assert _outbox(engine) == before  # the news went with its kind; nothing else did
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Alert)) == 1
    migrate.upgrade(engine)
