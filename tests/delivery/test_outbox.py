"""Claiming and recording in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import outbox
from bot.delivery.outbox import BLOCKED, FAILED, GONE, RETRY, SENT, Outcome
from bot.store.models import Delivery, Subscriber, utcnow
from tests.delivery.conftest import subscribe_and_publish


@pytest.fixture
def queued(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    subscribe_and_publish(sessions, 10)
    return sessions


NOW = utcnow() + timedelta(days=1)  # every delivery queued by a test is due by then


def _claim(sessions: sessionmaker[Session], limit: int = 4) -> list[outbox.Claimed]:
    with sessions.begin() as session:
        return outbox.claim(session, NOW, limit)


def _row(sessions: sessionmaker[Session], delivery_id: int) -> Delivery:
    with sessions() as session:
        return session.get_one(Delivery, delivery_id)


def test_claims_take_each_due_row_once_oldest_first(queued: sessionmaker[Session]) -> None:
    first, second = _claim(queued), _claim(queued)
    ids = [row.id for row in first + second]
    assert ids == sorted(ids) and len(set(ids)) == 8
    assert [row.attempts for row in first] == [1, 1, 1, 1]
    assert all(row.subscriber_status == "active" and row.language == "en" for row in first)
    assert len(_claim(queued, 10)) == 2


def test_rows_not_yet_due_or_held_are_not_claimed(queued: sessionmaker[Session]) -> None:
    with queued.begin() as session:
        session.execute(update(Delivery).values(next_attempt_at=NOW + timedelta(minutes=1)))
        session.execute(update(Delivery).where(Delivery.id <= 3).values(status="held"))
    assert _claim(queued, 10) == []
    with queued() as session:
        assert outbox.next_due_at(session) == NOW + timedelta(minutes=1)
        assert not outbox.has_due(session, NOW)


def test_postgresql_skips_rows_another_claim_has_locked(queued: sessionmaker[Session]) -> None:
    with queued() as holder:
        if holder.get_bind().dialect.name != "postgresql":
            pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has a single sender")
        locked = outbox.claim(holder, NOW, 4)  # not committed yet: its rows stay locked
        others = _claim(queued, 10)
        assert {r.id for r in locked}.isdisjoint({r.id for r in others})
        assert len(others) == 6
        holder.rollback()


def test_recording_marks_rows_and_subscribers_and_frees_the_claim(
    queued: sessionmaker[Session],
) -> None:
    sent, retry, failed, blocked, gone = _claim(queued, 5)
    later = NOW + timedelta(seconds=30)
    with queued.begin() as session:
        outbox.record(
            session,
            [
                Outcome(sent.id, sent.subscriber_id, SENT, message_id=77),
                Outcome(retry.id, retry.subscriber_id, RETRY, error="TimedOut", retry_at=later),
                Outcome(failed.id, failed.subscriber_id, FAILED, error="BadRequest: too long"),
                Outcome(blocked.id, blocked.subscriber_id, BLOCKED, error="Forbidden: blocked"),
                Outcome(gone.id, gone.subscriber_id, GONE, error="BadRequest: chat not found"),
            ],
            NOW,
        )
    row = _row(queued, sent.id)
    assert (row.status, row.telegram_message_id, row.sent_at, row.claimed_at) == (
        "sent",
        77,
        NOW,
        None,
    )
    row = _row(queued, retry.id)
    assert (row.status, row.next_attempt_at, row.last_error) == ("pending", later, "TimedOut")
    assert _row(queued, failed.id).status == "failed"
    with queued() as session:
        statuses = dict(session.execute(select(Subscriber.id, Subscriber.status)).all())
    assert statuses[blocked.subscriber_id] == "blocked"
    assert statuses[gone.subscriber_id] == "gone"
    assert statuses[failed.subscriber_id] == "active"  # one bad message is not a bad chat


def test_an_outcome_never_touches_a_row_nobody_holds(queued: sessionmaker[Session]) -> None:
    (row,) = _claim(queued, 1)
    with queued.begin() as session:
        outbox.release_stale(session)
        outbox.record(session, [Outcome(row.id, row.subscriber_id, SENT, message_id=1)], NOW)
    assert _row(queued, row.id).status == "pending"


def test_released_claims_go_again_and_only_unsent_ones_give_back_the_attempt(
    queued: sessionmaker[Session],
) -> None:
    unsent, in_doubt = _claim(queued, 2)
    with queued.begin() as session:
        assert outbox.release(session, [unsent.id]) == 1
        assert outbox.release_stale(session) == 1
    assert (_row(queued, unsent.id).attempts, _row(queued, in_doubt.id).attempts) == (0, 1)
    assert {r.id for r in _claim(queued, 2)} == {unsent.id, in_doubt.id}


def test_a_migrated_group_keeps_its_subscriber_under_the_new_chat_id(
    queued: sessionmaker[Session],
) -> None:
    (row,) = _claim(queued, 1)
    outcome = Outcome(row.id, row.subscriber_id, SENT, message_id=5, new_chat_id=-100123)
    with queued.begin() as session:
        outbox.record(session, [outcome], NOW)
    with queued() as session:
        assert session.get_one(Subscriber, row.subscriber_id).chat_id == -100123


def test_a_migrated_group_whose_new_id_is_taken_keeps_its_old_one_and_the_send_is_recorded(
    queued: sessionmaker[Session],
) -> None:
    (row,) = _claim(queued, 1)
    with queued.begin() as session:  # someone /started the bot in the new supergroup first
        session.add(Subscriber(chat_id=-100123, language="en"))
    outcome = Outcome(row.id, row.subscriber_id, SENT, message_id=5, new_chat_id=-100123)
    with queued.begin() as session:
        outbox.record(session, [outcome], NOW)
    assert _row(queued, row.id).status == "sent"
    with queued() as session:
        assert session.get_one(Subscriber, row.subscriber_id).chat_id == row.chat_id
