"""Who may do what: admins grant roles, coordinators edit cases, everyone else subscribes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import staff
from bot.domain.errors import NotAllowed, UnknownRole
from bot.domain.staff import SYSTEM, Actor
from bot.store.models import Staff
from tests.domain.factories import ADMIN, COORDINATOR, PLAIN, audit_rows, refused


def _roles(sessions: sessionmaker[Session]) -> dict[int, str]:
    with sessions() as session:
        return {row.user_id: row.role for row in session.scalars(select(Staff))}


def test_roles_rank_admin_over_coordinator_over_subscriber() -> None:
    assert ADMIN.can("admin") and ADMIN.can("coordinator")
    assert COORDINATOR.can("coordinator") and not COORDINATOR.can("admin")
    assert not PLAIN.can("coordinator") and not PLAIN.is_staff
    assert SYSTEM.can("admin")


def test_an_actor_carries_the_role_granted_in_the_store(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        staff.grant(session, ADMIN, 42, "coordinator")
    with sessions() as session:
        assert staff.actor_for(session, 42) == Actor(42, "coordinator")
        assert staff.actor_for(session, 43) == Actor(43, None)


def test_an_admin_grants_and_changes_a_role(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        staff.grant(session, ADMIN, 42, "coordinator")
    with sessions.begin() as session:
        staff.grant(session, ADMIN, 42, "admin")
    assert _roles(sessions) == {42: "admin"}
    with sessions() as session:
        row = session.get(Staff, 42)
        assert row is not None
        assert row.granted_by == ADMIN.user_id
        assert row.granted_at.tzinfo is not None


@pytest.mark.parametrize("actor", [COORDINATOR, PLAIN], ids=["coordinator", "subscriber"])
def test_only_an_admin_may_grant_a_role(sessions: sessionmaker[Session], actor: Actor) -> None:
    error = refused(sessions, NotAllowed, lambda s: staff.grant(s, actor, 42, "coordinator"))
    assert "admins" in error.message()


@pytest.mark.parametrize("actor", [COORDINATOR, PLAIN], ids=["coordinator", "subscriber"])
def test_only_an_admin_may_revoke_a_role(sessions: sessionmaker[Session], actor: Actor) -> None:
    with sessions.begin() as session:
        staff.grant(session, ADMIN, 42, "coordinator")
    refused(sessions, NotAllowed, lambda s: staff.revoke(s, actor, 42))


def test_granting_an_unknown_role_is_refused(sessions: sessionmaker[Session]) -> None:
    error = refused(sessions, UnknownRole, lambda s: staff.grant(s, ADMIN, 42, "overlord"))
    assert "coordinator" in error.message()


def test_revoking_removes_the_role(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        staff.grant(session, ADMIN, 42, "coordinator")
    with sessions.begin() as session:
        assert staff.revoke(session, ADMIN, 42) is True
    assert _roles(sessions) == {}


def test_revoking_someone_without_a_role_changes_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert staff.revoke(session, ADMIN, 42) is False
    assert audit_rows(sessions) == []


def test_admin_ids_are_admins_from_the_first_start_and_audited(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        staff.ensure_admins(session, [7, 8])
    assert _roles(sessions) == {7: "admin", 8: "admin"}
    events = audit_rows(sessions, "staff.grant")
    assert [(e.entity_id, e.actor_id, e.after) for e in events] == [
        (7, None, {"role": "admin", "source": "ADMIN_IDS"}),
        (8, None, {"role": "admin", "source": "ADMIN_IDS"}),
    ]


def test_admin_ids_at_every_start_change_nothing_the_second_time(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        staff.ensure_admins(session, [7])
    with sessions.begin() as session:
        staff.ensure_admins(session, [7])
    assert _roles(sessions) == {7: "admin"}
    assert len(audit_rows(sessions)) == 1


def test_admin_ids_upgrade_a_coordinator_and_the_upgrade_is_audited(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        staff.grant(session, ADMIN, 7, "coordinator")
    with sessions.begin() as session:
        staff.ensure_admins(session, [7])
    assert _roles(sessions) == {7: "admin"}
    last = audit_rows(sessions)[-1]
    assert (last.action, last.entity_id, last.before, last.after) == (
        "staff.grant",
        7,
        {"role": "coordinator"},
        {"role": "admin", "source": "ADMIN_IDS"},
    )
