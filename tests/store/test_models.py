"""The integrity rules the database itself enforces, whatever the code above it does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.models import (
    Action,
    Alert,
    AuditEvent,
    Base,
    Case,
    CaseEvent,
    CaseTarget,
    Delivery,
    Person,
    Scope,
    Staff,
    Subscriber,
    Target,
)
from tests.domain.factories import NOW


def _case(ref: str = "KZ-2026-101", **fields: object) -> Case:
    return Case(ref=ref, title="T", country="KZ", **fields)


def _rejected(sessions: sessionmaker[Session], build: Callable[[Session], object]) -> None:
    with sessions() as session:
        build(session)
        with pytest.raises(IntegrityError):
            session.flush()


def _seeded(session: Session) -> tuple[Case, Subscriber, Alert]:
    case = _case()
    subscriber = Subscriber(chat_id=5)
    session.add_all([case, subscriber])
    session.flush()
    alert = Alert(case_id=case.id, kind="new")
    session.add(alert)
    session.flush()
    return case, subscriber, alert


def test_a_case_reference_is_unique(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(_case())
    _rejected(sessions, lambda s: s.add(_case()))


def test_a_chat_is_one_subscriber(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(Subscriber(chat_id=5))
    _rejected(sessions, lambda s: s.add(Subscriber(chat_id=5)))


def test_a_subscriber_gets_one_copy_of_an_alert(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _, subscriber, alert = _seeded(session)
        session.add(Delivery(alert_id=alert.id, subscriber_id=subscriber.id))

    def second(session: Session) -> None:
        session.add(Delivery(alert_id=alert.id, subscriber_id=subscriber.id))

    _rejected(sessions, second)


def test_a_subscriber_acts_once_on_a_case(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        case, subscriber, _ = _seeded(session)
        session.add(Action(case_id=case.id, subscriber_id=subscriber.id))
    _rejected(sessions, lambda s: s.add(Action(case_id=case.id, subscriber_id=subscriber.id)))


def test_anonymous_actions_may_be_many(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        case, _, _ = _seeded(session)
        session.add_all([Action(case_id=case.id, subscriber_id=None) for _ in range(3)])
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Action)) == 3


@pytest.mark.parametrize(
    "build",
    [
        lambda: _case(status="archived"),
        lambda: _case(status="closed"),  # closed needs an outcome
        lambda: _case(outcome="vanished"),
        lambda: Subscriber(chat_id=1, mode="hourly"),
        lambda: Subscriber(chat_id=1, status="asleep"),
        lambda: Subscriber(chat_id=1, digest_hour=24),
        lambda: Staff(user_id=1, role="owner"),
        lambda: Alert(kind="gossip"),
    ],
    ids=[
        "case-status",
        "closed-without-outcome",
        "outcome",
        "mode",
        "subscriber-status",
        "digest-hour",
        "staff-role",
        "alert-kind",
    ],
)
def test_statuses_outside_the_vocabulary_are_refused(
    sessions: sessionmaker[Session], build: Callable[[], object]
) -> None:
    _rejected(sessions, lambda s: s.add(build()))


def test_a_delivery_status_outside_the_vocabulary_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _, subscriber, alert = _seeded(session)

    def build(session: Session) -> None:
        session.add(Delivery(alert_id=alert.id, subscriber_id=subscriber.id, status="lost"))

    _rejected(sessions, build)


def test_a_person_status_and_group_size_are_checked(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        case = _case()
        session.add(case)
    for fields in ({"status": "vanished"}, {"group_size": 0}):
        _rejected(
            sessions,
            lambda s, f=fields: s.add(Person(case_id=case.id, position=1, name="A", **f)),
        )


def test_a_row_pointing_at_nothing_is_refused(sessions: sessionmaker[Session]) -> None:
    _rejected(sessions, lambda s: s.add(Delivery(alert_id=999, subscriber_id=999)))
    _rejected(sessions, lambda s: s.add(Person(case_id=999, position=1, name="A")))


def test_deleting_a_case_takes_its_people_events_alerts_and_deliveries(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        case, subscriber, alert = _seeded(session)
        session.add_all(
            [
                Person(case_id=case.id, position=1, name="A"),
                CaseEvent(case_id=case.id, kind="created"),
                Delivery(alert_id=alert.id, subscriber_id=subscriber.id),
                Action(case_id=case.id, subscriber_id=subscriber.id),
            ]
        )
    with sessions.begin() as session:
        # Core DELETE: the database's ON DELETE rules, not the ORM's cascades.
        session.execute(delete(Case))
    with sessions() as session:
        for model in (Person, CaseEvent, Alert, Delivery, Action):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 1


def test_deleting_a_subscriber_keeps_their_actions_anonymously(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        case, subscriber, alert = _seeded(session)
        session.add_all(
            [
                Scope(subscriber_id=subscriber.id, kind="all"),
                Delivery(alert_id=alert.id, subscriber_id=subscriber.id),
                Action(case_id=case.id, subscriber_id=subscriber.id),
            ]
        )
    with sessions.begin() as session:
        session.execute(delete(Subscriber))
    with sessions() as session:
        assert session.scalars(select(Action.subscriber_id)).all() == [None]
        assert session.scalar(select(func.count()).select_from(Scope)) == 0
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_a_target_still_used_by_a_case_cannot_be_deleted(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        case = _case()
        target = Target(title="Minister", name="M", country="KZ")
        session.add_all([case, target])
        session.flush()
        session.add(CaseTarget(case_id=case.id, target_id=target.id))
    with sessions() as session, pytest.raises(IntegrityError):
        session.execute(delete(Target))
        session.flush()


def test_a_deleted_person_leaves_the_timeline_in_place(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        case = _case()
        session.add(case)
        session.flush()
        person = Person(case_id=case.id, position=1, name="A")
        session.add(person)
        session.flush()
        session.add(CaseEvent(case_id=case.id, kind="status_change", person_id=person.id))
    with sessions.begin() as session:
        session.execute(delete(Person))
    with sessions() as session:
        assert session.scalars(select(CaseEvent.person_id)).all() == [None]


def test_json_columns_round_trip(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(_case(themes=["detention", "torture"], languages=["kk", "ru"]))
        session.add(AuditEvent(action="x", before={"a": 1}, after={"b": [1, "ә"]}, at=NOW))
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        event = session.scalars(select(AuditEvent)).one()
    assert (case.themes, case.languages) == (["detention", "torture"], ["kk", "ru"])
    assert (event.before, event.after) == ({"a": 1}, {"b": [1, "ә"]})


def test_every_model_has_a_readable_repr() -> None:
    for mapper in Base.registry.mappers:
        model = mapper.class_
        assert repr(model()).startswith(model.__name__ + "("), model
