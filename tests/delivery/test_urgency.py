"""The outbox's order (bot/store/urgency.py): closing notices and reminders before alerts,
nearest deadline first, digests and staff notices after, each with a share of their own."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import outbox
from bot.delivery.limiter import Pacer
from bot.domain import cases, demo
from bot.domain.staff import SYSTEM
from bot.sandbox.local import RunningServer
from bot.store.models import Alert, Case, Delivery, utcnow
from bot.store.urgency import (
    ALERT,
    CLASSES,
    DIGEST,
    SHARE_SLOTS,
    STAFF,
    URGENT,
    class_floor,
    class_of,
    urgency,
)
from tests.delivery.conftest import REF, drain, fast_config

SOON = "KZ-2026-002"
LATER = "KZ-2026-004"
FAR = utcnow() + timedelta(days=1)  # every row queued by a test is due by then


def _publish(sessions: sessionmaker[Session], subscribers: int) -> None:
    """The demo cases followed by `subscribers` chats; SOON's deadline is nearer than
    LATER's."""
    with sessions.begin() as session:
        demo.load(session, subscribers=subscribers)
        now = utcnow()
        cases.set_deadline(session, SYSTEM, LATER, now + timedelta(days=20))
        cases.set_deadline(session, SYSTEM, SOON, now + timedelta(days=2))


def _kinds(sessions: sessionmaker[Session], rows: list[outbox.Claimed]) -> list[str]:
    with sessions() as session:
        kinds = dict(session.execute(select(Alert.id, Alert.kind)).all())
    return [kinds[row.alert_id] for row in rows]


def test_the_order_is_class_then_nearest_deadline() -> None:
    now = utcnow()
    order = [
        urgency("deadline_reminder", now + timedelta(hours=6)),
        urgency("closed", now + timedelta(days=3)),
        urgency("closed", None),
        urgency("new", now),
        urgency("further_information", now + timedelta(days=1)),
        urgency("new", None),
        urgency("digest", None),
        urgency("news", None),
    ]
    assert order == sorted(order)
    assert [class_of(u) for u in order] == [URGENT] * 3 + [ALERT] * 3 + [DIGEST, STAFF]


def test_every_class_has_a_share_of_the_batches() -> None:
    assert set(SHARE_SLOTS) == set(CLASSES)
    assert SHARE_SLOTS.count(URGENT) >= len(SHARE_SLOTS) * 3 // 4


def test_closing_notices_go_before_alerts_and_the_nearest_deadline_first(
    sessions: sessionmaker[Session],
) -> None:
    _publish(sessions, 5)
    with sessions.begin() as session:
        cases.publish(session, SYSTEM, LATER)  # queued first: a new alert
        cases.publish(session, SYSTEM, SOON)
        cases.close(session, SYSTEM, LATER, "released", "Released today.")

    with sessions.begin() as session:
        rows = outbox.claim(session, FAR, 15)
    assert _kinds(sessions, rows) == ["closed"] * 5 + ["new"] * 10
    with sessions() as session:
        ref_of = dict(session.execute(select(Alert.id, Case.ref).join(Case)).all())
    # SOON was published after LATER, but its deadline is nearer
    assert [ref_of[row.alert_id] for row in rows[5:]] == [SOON] * 5 + [LATER] * 5


def test_a_share_claim_starts_from_a_less_urgent_class(sessions: sessionmaker[Session]) -> None:
    _publish(sessions, 5)
    with sessions.begin() as session:
        cases.publish(session, SYSTEM, SOON)
        cases.close(session, SYSTEM, SOON, "released", "Released today.")

    with sessions.begin() as session:
        alerts = outbox.claim(session, FAR, 3, class_floor(ALERT))
        staff = outbox.claim(session, FAR, 3, class_floor(STAFF))
        rest = outbox.claim(session, FAR, 20)
    assert _kinds(sessions, alerts) == ["new"] * 3
    assert staff == []
    assert _kinds(sessions, rest) == ["closed"] * 5 + ["new"] * 2


async def test_a_closing_notice_overtakes_a_long_broadcast_already_draining(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    subscribers = 600
    _publish(sessions, subscribers)
    with sessions.begin() as session:
        earlier = cases.publish(session, SYSTEM, SOON).id  # as if delivered long ago:
        session.execute(update(Delivery).where(Delivery.alert_id == earlier).values(status="sent"))
        cases.publish(session, SYSTEM, REF)
    config = fast_config(batch_size=20)
    broadcast = asyncio.create_task(drain(engine, server, Pacer(300, None), config))
    await server.acontrol.wait(100, timeout=20)  # under way: chats go out in id order
    with sessions.begin() as session:
        cases.close(session, SYSTEM, SOON, "released", "Released today.")
    queued_at = server.control.counters()["sent"]
    await broadcast

    with sessions() as session:
        order = session.execute(
            select(Alert.kind)
            .join(Delivery, Delivery.alert_id == Alert.id)
            .where(Delivery.status == "sent", Delivery.alert_id != earlier)
            .order_by(Delivery.sent_at, Delivery.id)
        ).scalars()
        kinds = list(order)
    first_closing = kinds.index("closed")
    print(f"\nclosing notice queued after {queued_at} sends; first sent as send {first_closing}")
    # The batches claimed before it were still to go out; then it goes first.
    assert first_closing - queued_at <= 3 * config.batch_size
    assert kinds.count("closed") == subscribers
    assert kinds[-1] == "new"  # the alert's rest went after it
