"""Shared builders for the domain and store tests: actors, cases in each state, and a way
to prove that a refused request left the database exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.domain.cases import PersonInput, TargetInput
from bot.domain.errors import DomainError
from bot.domain.staff import Actor
from bot.store.models import AuditEvent, Base, Case
from tests.clock import NOW

DEADLINE = NOW + timedelta(days=14)

ADMIN = Actor(user_id=1001, role="admin")
COORDINATOR = Actor(user_id=1002, role="coordinator")
PLAIN = Actor(user_id=1003, role=None)

# Planted in every restricted field; no output may ever contain them.
CANARIES = {
    "whereabouts": "CANARY-whereabouts-Cell-17-Block-B",
    "family_contacts": "CANARY-family-+7-701-555-0101",
    "sources": "CANARY-source-cousin-at-the-ministry",
    "health": "CANARY-health-untreated-fracture",
    "notes": "CANARY-notes-do-not-publish",
}

E = TypeVar("E", bound=DomainError)


def person(name: str = "Aigerim Example", **fields: Any) -> PersonInput:
    return PersonInput(name=name, status=fields.pop("status", "detained"), **fields)


def target(**fields: Any) -> TargetInput:
    values: dict[str, Any] = {
        "title": "Prosecutor General",
        "name": "Prosecutor General (illustrative)",
        "country": "KZ",
        "email": "prosecutor@example.org",
        "salutation": "Dear Prosecutor General",
    }
    values.update(fields)
    return TargetInput(**values)


def draft(
    session: Session,
    ref: str = "KZ-2026-101",
    *,
    ready: bool = True,
    country: str = "KZ",
    themes: tuple[str, ...] = ("detention",),
    **fields: Any,
) -> Case:
    """A draft case; `ready` adds a person, a target and a deadline so it can be published."""
    case = cases.create_case(
        session,
        COORDINATOR,
        ref=ref,
        title=fields.pop("title", f"Activist detained ({ref})"),
        country=country,
        summary=fields.pop("summary", "An activist was detained after a peaceful protest."),
        themes=themes,
        languages=("kk", "ru", "en"),
        deadline=fields.pop("deadline", DEADLINE if ready else None),
        now=NOW,
        **fields,
    )
    if ready:
        cases.add_person(session, COORDINATOR, ref, person())
        cases.add_target(session, COORDINATOR, ref, target())
    return case


def active(session: Session, ref: str = "KZ-2026-101", **fields: Any) -> Case:
    case = draft(session, ref, **fields)
    cases.publish(session, COORDINATOR, ref, now=NOW)
    return case


def closed(session: Session, ref: str = "KZ-2026-101", **fields: Any) -> Case:
    case = active(session, ref, **fields)
    cases.close(session, COORDINATOR, ref, "released", "She was released.", now=NOW)
    return case


def dump(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with sessions() as session:
        return {
            table.name: [
                tuple(row)
                for row in session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


def refused(
    sessions: sessionmaker[Session], error: type[E], request: Callable[[Session], object]
) -> E:
    """Run `request` in a transaction that is committed even after the refusal, then check,
    in a new session, that not one row of any table changed. Stronger than a rollback: a
    refusal must leave nothing behind for a caller that commits anyway."""
    before = dump(sessions)
    with sessions.begin() as session, pytest.raises(error) as raised:
        request(session)
    assert dump(sessions) == before
    assert raised.value.message("en")
    return raised.value


def count(sessions: sessionmaker[Session], model: type[Base]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def audit_rows(sessions: sessionmaker[Session], action: str | None = None) -> list[AuditEvent]:
    with sessions() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        return list(session.scalars(stmt))
