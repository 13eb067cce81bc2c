"""Who may do what: admins, coordinators, and everyone else a subscriber; checked here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import audit
from bot.domain.errors import NotAllowed, UnknownRole
from bot.store.models import STAFF_ROLES, Staff

RANK = {None: 0, "coordinator": 1, "admin": 2}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role is not None

    def can(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


# The operator at the command line: the shell account is the credential.
SYSTEM = Actor(user_id=None, role="admin")


def actor_for(session: Session, user_id: int) -> Actor:
    """A member whose role is suspended (their own /panic) acts as a subscriber."""
    stmt = select(Staff.role).where(Staff.user_id == user_id, Staff.suspended_at.is_(None))
    return Actor(user_id=user_id, role=session.scalar(stmt))


def grant_stamp(session: Session, user_id: int) -> str | None:
    """Which grant a staff member acts under: their role and when it was granted. A revoke
    followed by a new grant gives another stamp; None for someone who is not staff."""
    row = session.get(Staff, user_id)
    return None if row is None else f"{row.role}@{row.granted_at.isoformat()}"


def require(actor: Actor, role: str, action: str) -> None:
    if not actor.can(role):
        raise NotAllowed(action=action, role=role)


def ensure_admins(session: Session, admin_ids: Iterable[int]) -> None:
    """ADMIN_IDS are admins from the first start; an existing grant is upgraded, never lowered."""
    for user_id in admin_ids:
        staff = session.get(Staff, user_id)
        if staff is not None and staff.role == "admin":
            continue
        before = {"role": staff.role} if staff else None
        if staff is None:
            session.add(Staff(user_id=user_id, role="admin"))
        else:
            staff.role = "admin"
        audit.record(
            session,
            SYSTEM,
            "staff.grant",
            entity="staff",
            entity_id=user_id,
            before=before,
            after={"role": "admin", "source": "ADMIN_IDS"},
        )


def grant(session: Session, actor: Actor, user_id: int, role: str) -> Staff:
    require(actor, "admin", "grant")
    if role not in STAFF_ROLES:
        raise UnknownRole(role=role, roles=STAFF_ROLES)
    staff = session.get(Staff, user_id)
    before = {"role": staff.role} if staff else None
    if staff is None:
        staff = Staff(user_id=user_id, role=role, granted_by=actor.user_id)
        session.add(staff)
    staff.role = role
    staff.suspended_at = None  # granting again is how an admin lifts a /panic
    audit.record(
        session,
        actor,
        "staff.grant",
        entity="staff",
        entity_id=user_id,
        before=before,
        after={"role": role},
    )
    return staff


def revoke(session: Session, actor: Actor, user_id: int) -> bool:
    require(actor, "admin", "revoke")
    staff = session.get(Staff, user_id)
    if staff is None:
        return False
    audit.record(
        session,
        actor,
        "staff.revoke",
        entity="staff",
        entity_id=user_id,
        before={"role": staff.role},
        after=None,
    )
    session.delete(staff)
    return True
