"""The fan-out: one delivery row per matching active subscriber, written with the alert."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import alerts, cases, subscriptions
from bot.store.models import Action, Alert, Delivery, Subscriber
from tests.domain.factories import COORDINATOR, NOW, active, draft

REF = "KZ-2026-101"


def _follow(session: Session, chat_id: int, kind: str, value: str = "*") -> None:
    subscriptions.follow(session, chat_id, kind, value)


def _deliveries(sessions: sessionmaker[Session], alert_id: int) -> dict[int, str]:
    """chat id → delivery status for one alert."""
    with sessions() as session:
        rows = session.execute(
            select(Subscriber.chat_id, Delivery.status)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.alert_id == alert_id)
        )
        return {chat_id: status for chat_id, status in rows}


def _publish(sessions: sessionmaker[Session], ref: str = REF) -> Alert:
    with sessions.begin() as session:
        return cases.publish(session, COORDINATOR, ref, now=NOW)


def test_each_scope_that_matches_the_case_gets_exactly_one_delivery(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF, country="KZ", themes=("detention", "torture"))
        active(session, "KZ-2026-102")
        _follow(session, 1, "all")
        _follow(session, 2, "country", "kz")
        _follow(session, 3, "theme", "torture")
        _follow(session, 4, "case", "KZ-2026-102")  # another case
        _follow(session, 5, "country", "RU")
        _follow(session, 6, "theme", "surveillance")
        for kind, value in (("all", "*"), ("country", "KZ"), ("theme", "detention")):
            _follow(session, 7, kind, value)  # matches three ways, still one copy
    alert = _publish(sessions)
    assert _deliveries(sessions, alert.id) == {
        1: "pending",
        2: "pending",
        3: "pending",
        7: "pending",
    }
    assert alert.recipients == 4


def test_a_subscriber_following_one_case_gets_its_further_information(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, REF)
        active(session, "KZ-2026-102")
        _follow(session, 8, "case", REF)
        _follow(session, 9, "case", "KZ-2026-102")
    with sessions.begin() as session:
        alert = cases.further_information(session, COORDINATOR, REF, "News", now=NOW)
    assert _deliveries(sessions, alert.id) == {8: "pending"}
    assert alert.recipients == 1


@pytest.mark.parametrize("status", ["stopped", "blocked", "gone"])
def test_subscribers_who_are_not_active_get_nothing(
    sessions: sessionmaker[Session], status: str
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        _follow(session, 1, "all")
        _follow(session, 2, "all")
        session.execute(update(Subscriber).where(Subscriber.chat_id == 2).values(status=status))
    alert = _publish(sessions)
    assert _deliveries(sessions, alert.id) == {1: "pending"}
    assert alert.recipients == 1


def test_digest_subscribers_copies_are_held_for_the_digest(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        _follow(session, 1, "all")
        _follow(session, 2, "all")
        subscriptions.set_mode(session, 2, "digest")
    alert = _publish(sessions)
    assert _deliveries(sessions, alert.id) == {1: "pending", 2: "held"}
    assert alert.recipients == 2


def test_deliveries_are_due_at_publication_with_no_attempts(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        _follow(session, 1, "all")
    alert = _publish(sessions)
    with sessions() as session:
        row = session.scalars(select(Delivery).where(Delivery.alert_id == alert.id)).one()
    assert (row.attempts, row.next_attempt_at, row.sent_at) == (0, NOW, None)
    assert row.next_attempt_at.tzinfo is not None


def test_an_alert_with_no_matching_subscriber_counts_zero(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        _follow(session, 1, "country", "RU")
    alert = _publish(sessions)
    assert (alert.recipients, _deliveries(sessions, alert.id)) == (0, {})


def test_the_database_refuses_a_second_copy_of_an_alert_to_one_subscriber(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        _follow(session, 1, "all")
    alert = _publish(sessions)
    with sessions() as session:
        subscriber_id = session.scalars(select(Subscriber.id)).one()
        session.add(Delivery(alert_id=alert.id, subscriber_id=subscriber_id, next_attempt_at=NOW))
        with pytest.raises(IntegrityError):
            session.flush()
    assert len(_deliveries(sessions, alert.id)) == 1


def test_fanning_out_the_same_alert_again_is_refused_by_the_database(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        _follow(session, 1, "all")
    alert = _publish(sessions)
    with sessions() as session:
        case = cases.get_case(session, REF)
        stored = session.get(Alert, alert.id)
        assert stored is not None
        with pytest.raises(IntegrityError):
            alerts.fan_out(session, stored, case, NOW)


def test_a_reminder_can_leave_out_those_who_already_acted(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        case = active(session, REF)
        _follow(session, 1, "all")
        _follow(session, 2, "all")
        acted = subscriptions.get_subscriber(session, 2)
        assert acted is not None
        session.add(Action(case_id=case.id, subscriber_id=acted.id, at=NOW))
    with sessions.begin() as session:
        case = cases.get_case(session, REF)
        alert = alerts.publish_alert(
            session, case, "deadline_reminder", actor=None, now=NOW, exclude_acted=True
        )
    assert _deliveries(sessions, alert.id) == {1: "pending"}
    assert alert.recipients == 1


def test_alert_texts_are_rendered_in_every_language_at_publish_time(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    alert = _publish(sessions)
    assert set(alert.texts) == {"en", "ru", "kk"}
    for text in alert.texts.values():
        assert REF in text
        assert "Aigerim Example" in text
    assert alert.texts["en"] != alert.texts["ru"]


def test_alert_texts_escape_html_from_the_case(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF, title="Detained <b>now</b> & then")
    alert = _publish(sessions)
    assert "Detained &lt;b&gt;now&lt;/b&gt; &amp; then" in alert.texts["en"]
