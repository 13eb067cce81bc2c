"""Restricted fields leave the store only here: to staff, in a private chat, on request, audited.

`reveal_person` checks the role and the chat kind where the data is read, so no handler
(or a future one) can show whereabouts or family contacts to a subscriber or in a group.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.domain import audit, cases
from bot.domain.errors import NotAllowed
from bot.domain.staff import Actor, require
from bot.domain.views import PublicPerson, public_person
from bot.store.models import AuditEvent, Person

REVEAL_ROLE = "coordinator"


class PrivateOnly(NotAllowed):
    """Staff asked for restricted data where others may read it (a group chat).

    A NotAllowed, so the dispatcher audits the attempt like any other refusal.
    """

    code = "private_only"


@dataclass(frozen=True)
class RevealedPerson:
    """A person with their restricted fields in clear: for one staff reply, never stored."""

    ref: str
    person: PublicPerson
    restricted: dict[str, str | None]


def reveal_person(
    session: Session, actor: Actor, ref: str, position: int, *, private: bool
) -> RevealedPerson:
    require(actor, REVEAL_ROLE, "person")
    if not private:
        raise PrivateOnly(action="person", role=REVEAL_ROLE)
    case = cases.get_case(session, ref)
    person = cases.get_person(case, position)
    values = {name: getattr(person, name) for name in Person.RESTRICTED}
    # Who looked at whom, and which fields held anything; never the values.
    audit.record(
        session,
        actor,
        "person.reveal",
        case_ref=case.ref,
        entity="person",
        entity_id=person.id,
        after={"position": person.position, "fields": sorted(k for k, v in values.items() if v)},
    )
    return RevealedPerson(case.ref, public_person(person), values)


def audit_trail(
    session: Session, actor: Actor, ref: str, *, private: bool, limit: int = 50
) -> tuple[str, list[AuditEvent]]:
    """A case's audit events for /audit: admins only, and only where no one else reads along,
    since before/after hold internal fields (a group may include subscribers)."""
    require(actor, "admin", "audit")
    if not private:
        raise PrivateOnly(action="audit", role="admin")
    case = cases.get_case(session, ref, whole=False)
    return case.ref, audit.for_case(session, case.ref, limit)
