"""What may leave the store: public views of a case. Templates get these, never ORM rows.

A template context built from these classes cannot reach internal or restricted fields,
so an alert, a letter or a subscriber's /case cannot leak them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain.translations import Texts
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
    polite_name: str = ""  # the form a salutation uses (ru: name and patronymic)
    addressee: str = ""  # the address block's form (ru, kk: the dative)
    asks: str = ""  # what the case asks of this official, one per line
    pronoun: str | None = None
    handle: str | None = None
    web_form: str | None = None
    key: str | None = None  # a stable name (case documents): the letters' file names use it


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
    asks: str = ""  # what the letters ask for, one per line
    # the reader's language; the language missing texts were shown in instead, if any
    language: str = "en"
    fallback: str | None = None


@dataclass(frozen=True)
class CaseLine:
    """A case in a list: no people or targets, so listing needs no further queries."""

    ref: str
    title: str
    country: str
    timezone: str
    deadline: datetime | None
    status: str


def case_line(case: Case, lang: str | None = None) -> CaseLine:
    """`case.translations` loaded (list_cases does) when `lang` is given."""
    title = Texts(case, lang).case(case, "title") if lang else case.title
    return CaseLine(case.ref, title, case.country, case.timezone, case.deadline, case.status)


def public_person(person: Person, texts: Texts | None = None) -> PublicPerson:
    name, occupation = person.name, person.occupation
    if texts is not None:
        name = texts.person(person, "name") or name
        occupation = texts.person(person, "occupation")
    return PublicPerson(
        position=person.position,
        name=name,
        pronoun=person.pronoun,
        age=person.age,
        occupation=occupation,
        group_size=person.group_size,
        status=person.status,
    )


def public_target(link: CaseTarget, texts: Texts | None = None) -> PublicTarget:
    t = link.target

    def text(field: str) -> str:
        return texts.target(t, field) if texts is not None else getattr(t, field, "") or ""

    return PublicTarget(
        role=link.role,
        title=text("title"),
        name=text("name"),
        institution=text("institution"),
        country=t.country,
        address=text("address"),
        email=t.email,
        salutation=text("salutation"),
        language=t.language,
        polite_name=text("polite_name"),
        addressee=text("addressee"),
        asks=texts.link(link, "asks") if texts is not None else link.asks or "",
        pronoun=t.pronoun,
        handle=t.handle,
        web_form=t.web_form,
        key=t.key,
    )


def public_case(case: Case, lang: str | None = None) -> PublicCase:
    """The case as a reader of `lang` reads it (its original language when None): each text
    in that language, or the nearest there is (bot/domain/translations.py), noted."""
    texts = Texts(case, lang)
    closing = (
        max((e for e in case.events if e.kind == "closed"), key=lambda e: e.at, default=None)
        if case.status == "closed"
        else None
    )
    view = PublicCase(
        ref=case.ref,
        title=texts.case(case, "title"),
        country=case.country,
        timezone=case.timezone,
        summary=texts.case(case, "summary"),
        background=texts.case(case, "background"),
        themes=tuple(case.themes or ()),
        languages=tuple(case.languages or ()),
        deadline=case.deadline,
        status=case.status,
        outcome=case.outcome,
        fi_count=case.fi_count,
        people=tuple(public_person(p, texts) for p in case.people),
        targets=tuple(public_target(link, texts) for link in case.case_targets),
        source_ref=case.source_ref,
        source_url=case.source_url,
        published_at=case.published_at,
        closed_at=closing.at if closing else None,
        closing_text=texts.event(closing) if closing else None,
        asks=texts.case(case, "asks"),
        language=texts.lang,
    )
    return replace(view, fallback=texts.fallback)
