"""'I took action': once per subscriber per case, and the per-case tallies."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import actions, cases, subscriptions
from bot.domain.errors import ActionEnded, InvalidValue, UnknownCase
from bot.store.models import Action, Delivery, Subscriber
from tests.domain.factories import COORDINATOR, NOW, active, closed, count, draft, refused

REF = "KZ-2026-101"


def test_taking_action_twice_counts_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
    with sessions.begin() as session:
        first = actions.record_action(session, 11, REF, "email", now=NOW)
    with sessions.begin() as session:
        second = actions.record_action(session, 11, REF.lower(), "letter", now=NOW)
    assert (first.created, first.tally) == (True, 1)
    assert (second.case_ref, second.created, second.tally) == (REF, False, 1)
    with sessions() as session:
        assert session.scalars(select(Action.how)).all() == ["email"]


def test_an_action_rolled_back_with_its_transaction_is_not_counted(
    sessions: sessionmaker[Session],
) -> None:
    """The savepoint nests in the caller's transaction (on SQLite, pysqlite would make a
    SAVEPOINT before the first write the transaction, and its release a commit)."""
    with sessions.begin() as session:
        active(session, REF)
        subscriptions.ensure_subscriber(session, 11)
    with sessions() as session:
        assert actions.record_action(session, 11, REF, now=NOW).created
        session.rollback()  # e.g. the handler failed after recording it
    assert count(sessions, Action) == 0


def test_each_subscriber_adds_one_to_the_tally(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
        active(session, "KZ-2026-102")
        actions.record_action(session, 11, REF)
        actions.record_action(session, 11, "KZ-2026-102")
        result = actions.record_action(session, 12, REF)
    assert result.tally == 2


@pytest.mark.parametrize(
    ("setup", "ref", "error"),
    [
        (draft, REF, UnknownCase),
        (closed, REF, ActionEnded),
        (active, "KZ-2026-999", UnknownCase),
    ],
    ids=["draft", "closed", "unknown"],
)
def test_action_on_a_case_that_is_not_active_is_refused(
    sessions: sessionmaker[Session], setup: object, ref: str, error: type[Exception]
) -> None:
    with sessions.begin() as session:
        setup(session, REF)  # type: ignore[operator]
    refused(sessions, error, lambda s: actions.record_action(s, 11, ref))
    assert count(sessions, Subscriber) == 0


def test_an_unknown_way_of_acting_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
    refused(sessions, InvalidValue, lambda s: actions.record_action(s, 11, REF, "carrier-pigeon"))


def test_the_database_refuses_a_second_action_by_one_subscriber_on_one_case(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, REF)
        actions.record_action(session, 11, REF)
    with sessions() as session:
        action = session.scalars(select(Action)).one()
        session.add(Action(case_id=action.case_id, subscriber_id=action.subscriber_id, at=NOW))
        with pytest.raises(IntegrityError):
            session.flush()
    assert count(sessions, Action) == 1


def test_two_taps_at_the_same_moment_still_count_once(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: two transactions cannot both reach the insert")
    with sessions.begin() as session:
        active(session, REF)
        subscriptions.ensure_subscriber(session, 11)
    results = []
    with sessions.begin() as first:
        results.append(actions.record_action(first, 11, REF))

        def second_tap() -> None:
            with sessions.begin() as second:
                results.append(actions.record_action(second, 11, REF))

        # The second tap does not see the first (uncommitted) row, so it inserts too and
        # waits on the unique index until the first commits.
        thread = threading.Thread(target=second_tap)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()
    thread.join(timeout=10)
    assert [r.created for r in results] == [True, False]
    assert results[-1].tally == 1
    assert count(sessions, Action) == 1


def test_case_stats_count_deliveries_failures_and_actions(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        for chat_id in range(1, 7):
            subscriptions.follow(session, chat_id, "all")
        subscriptions.set_mode(session, 6, "digest")
        cases.publish(session, COORDINATOR, REF, now=NOW)
        ids = dict(session.execute(select(Subscriber.chat_id, Subscriber.id)).all())
        outcomes = {1: "sent", 2: "sent", 3: "failed", 4: "failed"}
        for chat_id, status in outcomes.items():
            session.execute(
                update(Delivery).where(Delivery.subscriber_id == ids[chat_id]).values(status=status)
            )
        session.execute(update(Subscriber).where(Subscriber.chat_id == 3).values(status="blocked"))
        session.execute(update(Subscriber).where(Subscriber.chat_id == 4).values(status="gone"))
        cases.further_information(session, COORDINATOR, REF, "News", now=NOW)
        actions.record_action(session, 1, REF)
        actions.record_action(session, 2, REF)
    with sessions() as session:
        stats = actions.case_stats(session, REF)
    assert stats == actions.CaseStats(
        ref=REF,
        status="active",
        reached=6,
        delivered=2,
        pending=1 + 3,  # 5 for the first alert; 1, 2 and 5 for the update (3, 4 left)
        held=2,
        failed=2,
        blocked=1,
        gone=1,
        actions=2,
    )


def test_stats_of_an_unknown_case_are_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(UnknownCase):
        actions.case_stats(session, "KZ-2026-999")
