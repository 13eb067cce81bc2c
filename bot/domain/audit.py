"""The audit trail: append-only, restricted values written as "changed", never in clear."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import AuditEvent

if TYPE_CHECKING:
    from bot.domain.staff import Actor

CHANGED = "changed"


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: object, fields: Iterable[str], restricted: Iterable[str] = ()) -> dict[str, Any]:
    """Public and internal fields by value; restricted ones only as whether they hold anything."""
    hidden = set(restricted)
    return {
        name: ("set" if getattr(obj, name) else None)
        if name in hidden
        else _plain(getattr(obj, name))
        for name in fields
    }


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], restricted: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only what changed; a restricted field that changed reads "changed" on both sides."""
    hidden = set(restricted)
    keys = [k for k in after if before.get(k) != after.get(k)]
    old = {k: CHANGED if k in hidden else _plain(before.get(k)) for k in keys}
    new = {k: CHANGED if k in hidden else _plain(after.get(k)) for k in keys}
    return old, new


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    case_ref: str | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    allowed: bool = True,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.user_id,
        action=action,
        case_ref=case_ref,
        entity=entity,
        entity_id=entity_id,
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        allowed=allowed,
    )
    session.add(event)
    return event


def for_case(session: Session, case_ref: str, limit: int = 50) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.case_ref == case_ref)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
