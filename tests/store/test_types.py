"""Column types that carry a rule: timezone-aware timestamps and encrypted restricted text."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import alerts, cases
from bot.domain.views import public_case
from bot.store.crypto import MissingKeyError, keyring
from bot.store.models import Alert, AuditEvent, Case, CaseEvent, Person, Subscriber
from tests.clock import day
from tests.conftest import TEST_KEY
from tests.domain.factories import (
    CANARIES,
    COORDINATOR,
    DEADLINE,
    NOW,
    active,
    draft,
    person,
    target,
)

REF = "KZ-2026-101"


# --- timestamps --------------------------------------------------------------------------


def test_a_timestamp_comes_back_timezone_aware_and_in_utc(sessions: sessionmaker[Session]) -> None:
    # A minute before midnight in Almaty, a month ahead: the domain refuses a past deadline.
    almaty = datetime.combine(
        date.fromisoformat(day(30)), time(23, 59), tzinfo=ZoneInfo("Asia/Almaty")
    )
    with sessions.begin() as session:
        draft(session, REF, deadline=almaty)
    with sessions() as session:
        deadline = session.scalars(select(Case.deadline)).one()
    assert deadline is not None
    assert deadline.utcoffset() == timedelta(0)
    assert deadline == almaty
    assert (deadline.hour, deadline.minute) == (18, 59)  # Kazakhstan: UTC+5 since 2024


def test_every_timestamp_the_domain_writes_comes_back_timezone_aware(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, REF)
        cases.further_information(session, COORDINATOR, REF, "News", now=NOW)
        session.add(Subscriber(chat_id=5))
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        values = [
            case.deadline,
            case.created_at,
            case.updated_at,
            case.published_at,
            case.last_update_at,
            *session.scalars(select(CaseEvent.at)),
            *session.scalars(select(Alert.created_at)),
            *session.scalars(select(AuditEvent.at)),
            *session.scalars(select(Subscriber.created_at)),
        ]
    assert len(values) > 10
    assert all(value is not None and value.tzinfo is not None for value in values)


def test_timestamps_compare_correctly_in_sql(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, "KZ-2026-101", deadline=NOW + timedelta(hours=1))
        draft(session, "KZ-2026-102", deadline=NOW + timedelta(days=1))
    moment = (NOW + timedelta(hours=2)).astimezone(timezone(timedelta(hours=5)))
    with sessions() as session:
        due = session.scalars(select(Case.ref).where(Case.deadline < moment)).all()
    assert due == ["KZ-2026-101"]


def test_a_naive_timestamp_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.add(Subscriber(chat_id=5, created_at=datetime(2026, 1, 1)))
        with pytest.raises(StatementError) as raised:
            session.flush()
    assert isinstance(raised.value.orig, ValueError)


# --- restricted text ---------------------------------------------------------------------


def _with_canaries(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False, deadline=DEADLINE)
        cases.add_person(session, COORDINATOR, REF, person(**CANARIES))


def test_the_database_holds_only_ciphertext_for_restricted_fields(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _with_canaries(sessions)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT whereabouts, family_contacts, sources, health, notes FROM people")
        ).one()
    fernet = Fernet(TEST_KEY.encode())
    for field, stored in zip(Person.RESTRICTED, row, strict=True):
        assert CANARIES[field] not in stored
        assert fernet.decrypt(stored.encode()).decode() == CANARIES[field]


def test_no_table_holds_a_restricted_value_in_clear(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _with_canaries(sessions)
    with sessions.begin() as session:
        cases.add_target(session, COORDINATOR, REF, target())
        cases.edit_person(session, COORDINATOR, REF, 1, notes=CANARIES["notes"] + "-2")
        cases.publish(session, COORDINATOR, REF, now=NOW)
    with engine.connect() as conn:
        raw = [
            str(value)
            for table in inspect(engine).get_table_names()
            for row in conn.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
            for value in row
        ]
    for secret in CANARIES.values():
        assert not any(secret in value for value in raw), secret


def test_staff_read_restricted_values_back_on_request(sessions: sessionmaker[Session]) -> None:
    _with_canaries(sessions)
    with sessions() as session:
        row = session.scalars(select(Person)).one()
        assert {field: getattr(row, field) for field in Person.RESTRICTED} == CANARIES


def test_an_empty_restricted_value_is_stored_as_null(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
        cases.add_person(session, COORDINATOR, REF, person(whereabouts=""))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT whereabouts FROM people")).scalar_one() is None


def test_writing_a_restricted_value_without_a_key_raises_missing_key(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
    keyring.configure([])
    with sessions() as session, pytest.raises(MissingKeyError):
        cases.add_person(session, COORDINATOR, REF, person(whereabouts="Cell 9"))


def test_reading_a_restricted_value_without_a_key_raises_missing_key(
    sessions: sessionmaker[Session],
) -> None:
    _with_canaries(sessions)
    keyring.configure([])
    with sessions() as session:
        row = session.scalars(select(Person)).one()
        with pytest.raises(MissingKeyError):
            _ = row.whereabouts


def test_restricted_fields_are_not_loaded_with_a_person(sessions: sessionmaker[Session]) -> None:
    _with_canaries(sessions)
    with sessions() as session:
        row = session.scalars(select(Person)).one()
        assert set(Person.RESTRICTED).isdisjoint(inspect(row).dict)


def test_public_views_and_alerts_never_load_restricted_fields(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _with_canaries(sessions)
    with sessions.begin() as session:
        cases.add_target(session, COORDINATOR, REF, target())
    statements: list[str] = []

    def remember(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    keyring.configure([])  # any attempt to decrypt would now fail
    event.listen(engine, "before_cursor_execute", remember)
    try:
        with sessions.begin() as session:
            view = public_case(cases.get_case(session, REF))
            alert = cases.publish(session, COORDINATOR, REF, now=NOW)
            texts = alerts.render_texts(cases.get_case(session, REF), "new")
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert view.people[0].name == "Aigerim Example"
    assert alert.recipients == 0 and texts["en"]
    assert any("FROM people" in s for s in statements)
    columns = [f"people.{field}" for field in Person.RESTRICTED]
    assert not any(column in s for s in statements for column in columns)
