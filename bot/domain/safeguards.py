"""Against a seized staff phone: reveals that expire from the chat, a reveal budget, an
optional reveal PIN, an admin's lockdown and a member's own panic.

A refusal that must leave a trace (a wrong PIN counts, a spent budget alerts the admins) is
returned as a `Refusal`, not raised, so the caller's transaction commits what it recorded.
Every step is audited; the audit never holds a PIN or a revealed value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain import audit
from bot.domain.errors import DomainError, InvalidValue
from bot.domain.reveal import REVEAL_ROLE, PrivateOnly, RevealedPerson, reveal_person
from bot.domain.staff import Actor, require
from bot.store.db import rowcount
from bot.store.models import AuditEvent, ExpiringMessage, Lockdown, Staff

PIN_LENGTH = (4, 32)
# Argon2id with argon2-cffi's defaults (RFC 9106's second recommendation: 64 MiB, 3 passes).
HASHER = PasswordHasher()


class LockedDown(DomainError):
    """An admin's lockdown is on: reveals, exports, role changes and confirmations stop."""

    code = "locked_down"


@dataclass(frozen=True)
class Rules:
    delete_after: timedelta = timedelta(minutes=10)
    budget: int = 10  # reveals per member per `window`
    window: timedelta = timedelta(hours=1)
    max_pin_failures: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            delete_after=timedelta(seconds=settings.REVEAL_DELETE_AFTER),
            budget=settings.REVEAL_BUDGET,
            window=timedelta(seconds=settings.REVEAL_BUDGET_WINDOW),
        )


@dataclass(frozen=True)
class Refusal:
    """A reveal refused: `code` names templates/<lang>/errors/<code>.txt; `alert` names the
    notice every admin gets at once (templates/<lang>/bot/admin_alert.html), if any."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    alert: str | None = None


# --- lockdown ----------------------------------------------------------------------------


def active_lockdown(session: Session) -> Lockdown | None:
    stmt = select(Lockdown).where(Lockdown.lifted_at.is_(None)).order_by(Lockdown.id.desc())
    return session.scalars(stmt.limit(1)).first()


def check_open(session: Session, action: str) -> None:
    """LockedDown while a lockdown is on."""
    if active_lockdown(session) is not None:
        raise LockedDown(action=action)


def confirmation_alive(session: Session, asked_at: datetime) -> bool:
    """A confirmation asked before a lockdown began is dead, even after it is lifted."""
    started = session.scalar(select(func.max(Lockdown.started_at)))
    return started is None or started < asked_at


def start_lockdown(session: Session, actor: Actor, now: datetime) -> bool:
    """False if one is on already."""
    require(actor, "admin", "lockdown")
    if active_lockdown(session) is not None:
        return False
    row = Lockdown(started_at=now, started_by=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "lockdown.start", entity="lockdown", entity_id=row.id)
    return True


def lift_lockdown(session: Session, actor: Actor, now: datetime) -> bool:
    """False if none was on."""
    require(actor, "admin", "lockdown")
    row = active_lockdown(session)
    if row is None:
        return False
    row.lifted_at, row.lifted_by = now, actor.user_id
    audit.record(session, actor, "lockdown.lift", entity="lockdown", entity_id=row.id)
    return True


# --- reveals -----------------------------------------------------------------------------


def admins(session: Session) -> list[int]:
    stmt = select(Staff.user_id).where(Staff.role == "admin", Staff.suspended_at.is_(None))
    return list(session.scalars(stmt.order_by(Staff.user_id)))


def reveals_since(session: Session, user_id: int, since: datetime) -> int:
    stmt = select(func.count()).where(
        AuditEvent.action == "person.reveal",
        AuditEvent.actor_id == user_id,
        AuditEvent.at >= since,
    )
    return session.scalar(stmt) or 0


def guarded_reveal(
    session: Session,
    actor: Actor,
    ref: str,
    position: int,
    pin: str | None,
    *,
    private: bool,
    rules: Rules,
    now: datetime,
) -> RevealedPerson | Refusal:
    """A person's restricted fields, past every safeguard; NotAllowed as reveal_person."""
    require(actor, REVEAL_ROLE, "person")
    if not private:
        raise PrivateOnly(action="person", role=REVEAL_ROLE)
    refusal = _refusal(session, actor, pin, rules, now)
    if refusal is not None:
        audit.record(
            session,
            actor,
            f"person.reveal_refused.{refusal.code}",
            case_ref=ref.upper()[:32],
            allowed=False,
        )
        return refusal
    return reveal_person(session, actor, ref, position, private=private)


def _refusal(
    session: Session, actor: Actor, pin: str | None, rules: Rules, now: datetime
) -> Refusal | None:
    if active_lockdown(session) is not None:
        return Refusal("locked_down", {"action": "person"})
    member = session.get(Staff, actor.user_id)
    if member is None:  # a role from ADMIN_IDS not yet stored: nothing to check against
        return None
    if member.reveals_locked_at is not None:
        return Refusal("reveals_locked")
    pin_problem = _check_pin(session, actor, member, pin, rules, now)
    if pin_problem is not None:
        return pin_problem
    used = reveals_since(session, member.user_id, now - rules.window)
    if used >= rules.budget:
        minutes = int(rules.window.total_seconds() // 60)
        return Refusal("reveal_budget", {"limit": rules.budget, "minutes": minutes}, "budget")
    return None


def _check_pin(
    session: Session, actor: Actor, member: Staff, pin: str | None, rules: Rules, now: datetime
) -> Refusal | None:
    if member.pin_hash is None:
        return None
    if not pin:
        return Refusal("pin_needed")
    if _verified(member.pin_hash, pin):
        member.pin_failures = 0
        return None
    member.pin_failures += 1
    left = rules.max_pin_failures - member.pin_failures
    if left > 0:
        return Refusal("pin_wrong", {"left": left})
    member.reveals_locked_at = now
    audit.record(session, actor, "reveal.locked", entity="staff", entity_id=member.user_id)
    return Refusal("reveals_locked", alert="pin_locked")


def _verified(hashed: str, pin: str) -> bool:
    try:
        return HASHER.verify(hashed, pin)
    except (VerificationError, InvalidHashError):
        return False


def set_pin(session: Session, actor: Actor, new: str, old: str | None = None) -> Refusal | None:
    """Set or change the member's reveal PIN; a change needs the old one (a wrong old one
    counts as a wrong answer)."""
    require(actor, REVEAL_ROLE, "pin")
    if not PIN_LENGTH[0] <= len(new) <= PIN_LENGTH[1] or not new.isprintable() or " " in new:
        raise InvalidValue(field="pin", limit=PIN_LENGTH[1])
    member = session.get(Staff, actor.user_id)
    if member is None:
        member = Staff(user_id=actor.user_id, role=actor.role or REVEAL_ROLE)
        session.add(member)
    if member.reveals_locked_at is not None:
        return Refusal("reveals_locked")
    if member.pin_hash is not None and not (old and _verified(member.pin_hash, old)):
        return Refusal("pin_needed" if not old else "pin_wrong", {"left": 0})
    before = {"pin": "set" if member.pin_hash else None}
    member.pin_hash, member.pin_failures = HASHER.hash(new), 0
    audit.record(
        session,
        actor,
        "staff.pin",
        entity="staff",
        entity_id=actor.user_id,
        before=before,
        after={"pin": "set"},
    )
    return None


def unlock(session: Session, actor: Actor, user_id: int) -> bool:
    """An admin lifts a member's reveal lock (three wrong PINs); False if none was set."""
    require(actor, "admin", "unlock")
    member = session.get(Staff, user_id)
    if member is None or member.reveals_locked_at is None:
        return False
    member.reveals_locked_at, member.pin_failures = None, 0
    audit.record(session, actor, "reveal.unlock", entity="staff", entity_id=user_id)
    return True


# --- panic -------------------------------------------------------------------------------


def panic(session: Session, actor: Actor, chat_id: int, now: datetime) -> int:
    """The member's own role suspended at once, and every reveal still in their chat due
    for deletion now; how many are."""
    require(actor, REVEAL_ROLE, "panic")
    member = session.get(Staff, actor.user_id)
    if member is None:
        member = Staff(user_id=actor.user_id, role=actor.role or REVEAL_ROLE)
        session.add(member)
    member.suspended_at = now
    pending = update(ExpiringMessage).where(
        ExpiringMessage.chat_id == chat_id, ExpiringMessage.done_at.is_(None)
    )
    count = rowcount(session.execute(pending.values(delete_at=now)))
    audit.record(
        session,
        actor,
        "staff.panic",
        entity="staff",
        entity_id=actor.user_id,
        before={"role": member.role},
        after={"suspended": True, "messages_to_delete": count},
    )
    return count


# --- messages that expire ------------------------------------------------------------------


def remember(
    session: Session, chat_id: int, message_id: int, user_id: int | None, delete_at: datetime
) -> None:
    session.add(
        ExpiringMessage(
            chat_id=chat_id, message_id=message_id, user_id=user_id, delete_at=delete_at
        )
    )


def due_messages(session: Session, now: datetime, limit: int = 50) -> list[tuple[int, int, int]]:
    """(row id, chat id, message id) of messages due for deletion, oldest first."""
    stmt = (
        select(ExpiringMessage.id, ExpiringMessage.chat_id, ExpiringMessage.message_id)
        .where(ExpiringMessage.done_at.is_(None), ExpiringMessage.delete_at <= now)
        .order_by(ExpiringMessage.delete_at)
        .limit(limit)
    )
    return [(row.id, row.chat_id, row.message_id) for row in session.execute(stmt)]


def mark_deleted(session: Session, row_id: int, now: datetime) -> None:
    session.execute(update(ExpiringMessage).where(ExpiringMessage.id == row_id).values(done_at=now))
