"""What may leave the store: public views of a case. Templates get these, never ORM rows.

A template context built from these classes cannot reach internal or restricted fields,
so an alert, a letter or a subscriber's /case cannot leak them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.models import Case, CaseTarget, Person


@dataclass(frozen=True)
class PublicPerson:
    position: int
    name: str
    pronoun: str | None
    age: int | None
    occupation: str | None
    group_size: int | None
    status: str


@dataclass(frozen=True)
class PublicTarget:
    role: str
    title: str
    name: str
    institution: str
    country: str
    address: str
    email: str | None
    salutation: str
    language: str


@dataclass(frozen=True)
class PublicCase:
    ref: str
    title: str
    country: str
    timezone: str
    summary: str
    background: str
    themes: tuple[str, ...]
    languages: tuple[str, ...]
    deadline: datetime | None
    status: str
    outcome: str | None
    fi_count: int
    people: tuple[PublicPerson, ...]
    targets: tuple[PublicTarget, ...]
    closed_at: datetime | None = None
    closing_text: str | None = None
    source_ref: str | None = None  # another organisation's urgent action this one relays
    source_url: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class CaseLine:
    """A case in a list: no people or targets, so listing needs no further queries."""

    ref: str
    title: str
    country: str
    timezone: str
    deadline: datetime | None
    status: str


def case_line(case: Case) -> CaseLine:
    return CaseLine(case.ref, case.title, case.country, case.timezone, case.deadline, case.status)


def public_person(person: Person) -> PublicPerson:
    return PublicPerson(
        position=person.position,
        name=person.name,
        pronoun=person.pronoun,
        age=person.age,
        occupation=person.occupation,
        group_size=person.group_size,
        status=person.status,
    )


def public_target(link: CaseTarget) -> PublicTarget:
    t = link.target
    return PublicTarget(
        role=link.role,
        title=t.title,
        name=t.name,
        institution=t.institution,
        country=t.country,
        address=t.address,
        email=t.email,
        salutation=t.salutation,
        language=t.language,
    )


def public_case(case: Case) -> PublicCase:
    closing = (
        max((e for e in case.events if e.kind == "closed"), key=lambda e: e.at, default=None)
        if case.status == "closed"
        else None
    )
    return PublicCase(
        ref=case.ref,
        title=case.title,
        country=case.country,
        timezone=case.timezone,
        summary=case.summary,
        background=case.background,
        themes=tuple(case.themes or ()),
        languages=tuple(case.languages or ()),
        deadline=case.deadline,
        status=case.status,
        outcome=case.outcome,
        fi_count=case.fi_count,
        people=tuple(public_person(p) for p in case.people),
        targets=tuple(public_target(link) for link in case.case_targets),
        source_ref=case.source_ref,
        source_url=case.source_url,
        published_at=case.published_at,
        closed_at=closing.at if closing else None,
        closing_text=closing.public_text if closing else None,
    )
