"""The audit trail: every staff mutation leaves one event with who, what, before and after;
restricted values appear only as "set" or "changed"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import audit, cases, staff
from bot.store.models import Person
from tests.domain.factories import (
    ADMIN,
    CANARIES,
    COORDINATOR,
    DEADLINE,
    NOW,
    active,
    audit_rows,
    draft,
    person,
    target,
)

REF = "KZ-2026-101"


def test_a_snapshot_shows_restricted_fields_only_as_set() -> None:
    row = Person(name="A", status="detained", whereabouts="Cell 9", health=None)
    shot = audit.snapshot(row, ("name", "whereabouts", "health"), Person.RESTRICTED)
    assert shot == {"name": "A", "whereabouts": "set", "health": None}


def test_changes_list_only_what_changed_and_hide_restricted_values() -> None:
    old, new = audit.changes(
        {"age": 30, "name": "A", "notes": "old secret"},
        {"age": 31, "name": "A", "notes": "new secret"},
        Person.RESTRICTED,
    )
    assert old == {"age": 30, "notes": "changed"}
    assert new == {"age": 31, "notes": "changed"}


def test_dates_are_stored_as_iso_text() -> None:
    old, new = audit.changes({"deadline": None}, {"deadline": DEADLINE})
    assert (old, new) == ({"deadline": None}, {"deadline": DEADLINE.isoformat()})


# (audit action, setup on a draft REF, the mutation, expected before, expected after)
Mutation = tuple[str, Callable[[Session], object], Callable[[Session], object], Any, Any]
MUTATIONS: dict[str, Mutation] = {
    "create": (
        "case.create",
        lambda s: None,
        lambda s: draft(s, REF, ready=False),
        None,
        {"status": "draft", "country": "KZ", "title": f"Activist detained ({REF})"},
    ),
    "add-person": (
        "person.add",
        lambda s: draft(s, REF, ready=False),
        lambda s: cases.add_person(s, COORDINATOR, REF, person("Zh", whereabouts="X")),
        None,
        {"name": "Zh", "status": "detained", "whereabouts": "set", "notes": None},
    ),
    "edit-person": (
        "person.edit",
        lambda s: draft(s, REF),
        lambda s: cases.edit_person(s, COORDINATOR, REF, 1, age=33, notes="N"),
        {"age": None, "notes": "changed"},
        {"age": 33, "notes": "changed"},
    ),
    "person-status": (
        "person.status",
        lambda s: draft(s, REF),
        lambda s: cases.change_person_status(s, COORDINATOR, REF, 1, "missing"),
        {"status": "detained"},
        {"status": "missing"},
    ),
    "add-target": (
        "target.add",
        lambda s: draft(s, REF, ready=False),
        lambda s: cases.add_target(s, COORDINATOR, REF, target(role="copy")),
        None,
        {"title": "Prosecutor General", "role": "copy"},
    ),
    "deadline": (
        "case.deadline",
        lambda s: draft(s, REF),
        lambda s: cases.set_deadline(s, COORDINATOR, REF, DEADLINE + timedelta(days=1), now=NOW),
        {"deadline": DEADLINE.isoformat()},
        {"deadline": (DEADLINE + timedelta(days=1)).isoformat()},
    ),
    "publish": (
        "case.publish",
        lambda s: draft(s, REF),
        lambda s: cases.publish(s, COORDINATOR, REF, now=NOW),
        {"status": "draft"},
        {"status": "active", "recipients": 0},
    ),
    "update": (
        "case.update",
        lambda s: active(s, REF),
        lambda s: cases.further_information(s, COORDINATOR, REF, "News", now=NOW),
        None,
        {"fi": 1, "recipients": 0},
    ),
    "close": (
        "case.close",
        lambda s: active(s, REF),
        lambda s: cases.close(s, COORDINATOR, REF, "released", "Free", now=NOW),
        {"status": "active"},
        {"status": "closed", "outcome": "released"},
    ),
}


@pytest.mark.parametrize("mutation", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_each_case_mutation_writes_one_audit_event_with_before_and_after(
    sessions: sessionmaker[Session], mutation: Mutation
) -> None:
    action, setup, change, before, after = mutation
    with sessions.begin() as session:
        setup(session)
    existing = len(audit_rows(sessions))
    with sessions.begin() as session:
        change(session)
    events = audit_rows(sessions)[existing:]
    assert [e.action for e in events] == [action]
    event = events[0]
    assert (event.actor_id, event.case_ref, event.allowed) == (COORDINATOR.user_id, REF, True)
    assert event.at is not None
    if before is None:
        assert event.before is None
    else:
        assert event.before is not None
        assert {k: event.before.get(k) for k in before} == before
    assert event.after is not None
    assert {k: event.after.get(k) for k in after} == after


def test_staff_grants_and_revocations_are_audited(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        staff.grant(session, ADMIN, 42, "coordinator")
    with sessions.begin() as session:
        staff.grant(session, ADMIN, 42, "admin")
    with sessions.begin() as session:
        staff.revoke(session, ADMIN, 42)
    events = audit_rows(sessions)
    assert [(e.action, e.entity_id, e.before, e.after) for e in events] == [
        ("staff.grant", 42, None, {"role": "coordinator"}),
        ("staff.grant", 42, {"role": "coordinator"}, {"role": "admin"}),
        ("staff.revoke", 42, {"role": "admin"}, None),
    ]
    assert {e.actor_id for e in events} == {ADMIN.user_id}


def test_restricted_values_never_appear_in_the_audit_trail(
    sessions: sessionmaker[Session], engine: Any
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        cases.add_person(session, COORDINATOR, REF, person("Second", **CANARIES))
        cases.edit_person(
            session, COORDINATOR, REF, 1, **{k: v + "-v2" for k, v in CANARIES.items()}
        )
        cases.edit_person(session, COORDINATOR, REF, 2, **{k: None for k in CANARIES})
    with engine.connect() as conn:
        raw = [
            str(value) for row in conn.execute(text("SELECT * FROM audit_events")) for value in row
        ]
    assert len(raw) > 0
    for secret in CANARIES.values():
        assert not any(secret in value for value in raw), secret
    events = audit_rows(sessions)
    restricted_values = {
        side.get(field)
        for event in events
        for side in (event.before or {}, event.after or {})
        for field in Person.RESTRICTED
        if field in side
    }
    assert restricted_values == {"set", "changed", None}


def test_the_audit_of_a_case_is_listed_newest_first(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
        draft(session, "KZ-2026-102")
    with sessions() as session:
        actions = [e.action for e in audit.for_case(session, REF)]
    assert actions == ["case.publish", "target.add", "person.add", "case.create"]
