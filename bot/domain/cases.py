"""The case lifecycle: draft → active (→ active on each further information) → closed.

Every function takes the caller's session first and never commits: one call, one
transaction, owned by the caller. Each mutation writes an audit event; each refusal
raises a DomainError before anything is written.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.domain import alerts, audit, translations
from bot.domain.errors import (
    AlreadyPublished,
    CaseClosed,
    CaseExists,
    CaseNotActive,
    CaseNotReady,
    DeadlineInPast,
    InvalidCountry,
    InvalidTimezone,
    InvalidValue,
    OriginalMissing,
    TextTooLong,
    UnknownCase,
    UnknownOutcome,
    UnknownPerson,
    UnknownRole,
    UnknownStatus,
    UnknownTarget,
    UnknownTheme,
)
from bot.domain.staff import Actor, require
from bot.domain.vocab import THEMES, country_timezone, normalise_country
from bot.languages import LANGUAGES
from bot.store.models import (
    OUTCOMES,
    PERSON_STATUSES,
    TARGET_ROLES,
    Alert,
    Case,
    CaseEvent,
    CaseTarget,
    Person,
    Target,
    utcnow,
)

CASE_FIELDS = (
    "title",
    "country",
    "summary",
    "background",
    "themes",
    "languages",
    "status",
    "outcome",
    "deadline",
    "internal_index",
    "internal_notes",
)
PERSON_FIELDS = Person.PUBLIC + Person.RESTRICTED
REF_PATTERN = re.compile(r"^[A-Z]{2}-\d{4}-\d{3,}$")


@dataclass(frozen=True)
class PersonInput:
    name: str
    status: str = "at_risk"
    pronoun: str | None = None
    age: int | None = None
    occupation: str | None = None
    group_size: int | None = None
    whereabouts: str | None = None
    family_contacts: str | None = None
    sources: str | None = None
    health: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class TargetInput:
    title: str
    name: str
    country: str
    institution: str = ""
    address: str = ""
    email: str | None = None
    salutation: str = ""
    language: str = "en"
    role: str = "primary"
    # A stable key ("kz-prosecutor-general"): a target with this key is reused, not duplicated.
    key: str | None = None
    pronoun: str | None = None
    handle: str | None = None
    web_form: str | None = None
    text_language: str = "en"  # the language title, name… are written in


# Capital Cyrillic letters that look like Latin ones: a phone on a Russian or Kazakh layout
# types "КZ-2026-001" with a Cyrillic К, and the reader cannot see the difference.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХІ", "ABEKMHOPCTYXI")
_DASHES = str.maketrans("‐‑‒–—―−", "-------")
# KZ-2026-001 as people also type it: KZ2026001, KZ-2026-1, kz 2026 001.
_NUMBERED_REF = re.compile(r"([A-Z]{2})[-\s]?(\d{4})[-\s]?(\d{1,3})")


def normalise_ref(ref: str) -> str:
    """A reference as stored: capitals, Latin letters, ASCII hyphens, a three-digit number."""
    text = unicodedata.normalize("NFKC", ref).strip().upper()
    text = text.translate(_LOOKALIKES).translate(_DASHES)
    match = _NUMBERED_REF.fullmatch(text)
    return f"{match[1]}-{match[2]}-{int(match[3]):03d}" if match else text


def get_case(session: Session, ref: str, *, for_update: bool = False, whole: bool = True) -> Case:
    """The case by reference; `whole` also loads its people and targets in two more queries."""
    stmt = select(Case).where(Case.ref == normalise_ref(ref))
    if whole:
        stmt = stmt.options(
            selectinload(Case.people),
            selectinload(Case.translations),
            selectinload(Case.case_targets)
            .selectinload(CaseTarget.target)
            .selectinload(Target.translations),
        )
    if for_update:
        stmt = stmt.with_for_update()
    case = session.scalars(stmt).one_or_none()
    if case is None:
        raise UnknownCase(ref=ref.strip()[:32], suggestions=nearest_refs(session, ref))
    return case


def visible_case(session: Session, ref: str, *, whole: bool = True) -> Case:
    """A case a subscriber may see: drafts do not exist for them. A draft's reference gets
    the answer an unknown one gets, and suggestions name only cases a subscriber may see."""
    try:
        case = get_case(session, ref, whole=whole)
    except UnknownCase:
        case = None
    if case is None or case.status == "draft":
        public = nearest_refs(session, ref, statuses=PUBLIC_STATUSES)
        raise UnknownCase(ref=ref.strip()[:32], suggestions=public) from None
    return case


PUBLIC_STATUSES = ("active", "closed")


def nearest_refs(
    session: Session, ref: str, *, statuses: Iterable[str] | None = None, limit: int = 3
) -> list[str]:
    """References that look like a mistyped `ref` (a digit off, a letter swapped)."""
    stmt = select(Case.ref).order_by(Case.id.desc()).limit(5000)
    if statuses is not None:
        stmt = stmt.where(Case.status.in_(tuple(statuses)))
    refs = list(session.scalars(stmt))
    return difflib.get_close_matches(normalise_ref(ref), refs, n=limit, cutoff=0.75)


def list_cases(
    session: Session, *, statuses: Iterable[str] = ("active",), offset: int = 0, limit: int = 50
) -> list[Case]:
    stmt = (
        select(Case)
        .options(selectinload(Case.translations))  # the titles in the reader's language
        .where(Case.status.in_(tuple(statuses)))
        # (status, deadline) is indexed: an expression here would sort every active case
        .order_by(Case.deadline, Case.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def count_cases(session: Session, *, statuses: Iterable[str] = ("active",)) -> int:
    return session.scalar(select(func.count()).where(Case.status.in_(tuple(statuses)))) or 0


def next_ref(session: Session, country: str, now: datetime) -> str:
    prefix = f"{country}-{now.year}-"
    refs = session.scalars(select(Case.ref).where(Case.ref.like(prefix + "%")))
    numbers = [int(r.removeprefix(prefix)) for r in refs if r.removeprefix(prefix).isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


ALERT_TEXT_LIMIT = 3000  # a further information or closing text: the alert stays one message


def _check_text(field: str, value: str, limit: int) -> str:
    value = value.strip()
    if value and len(value) > limit:
        raise TextTooLong(field=field, length=len(value), limit=limit)
    if not value:
        raise InvalidValue(field=field, limit=limit)
    return value


def check_alert_text(text: str) -> str:
    """The text of a further information or closing notice, checked as sending will check it:
    a preview refuses what Confirm would refuse."""
    return _check_text("text", text, ALERT_TEXT_LIMIT)


def _check_country(code: str) -> str:
    country = normalise_country(code)
    if country is None:
        raise InvalidCountry(value=code.strip()[:8])
    return country


def _check_themes(themes: Iterable[str]) -> list[str]:
    themes = [t.strip().lower() for t in themes if t.strip()]
    for theme in themes:
        if theme not in THEMES:
            raise UnknownTheme(theme=theme[:40], themes=THEMES)
    return themes


def _check_languages(languages: Iterable[str]) -> list[str]:
    codes = [c.strip().lower() for c in languages if c.strip()]
    for code in codes:
        if code not in LANGUAGES:
            raise InvalidValue(field="languages", limit=0, allowed=LANGUAGES)
    return codes or ["en"]


def check_timezone(zone: str) -> str:
    """An IANA zone name as zoneinfo knows it ("Asia/Almaty")."""
    name = zone.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTimezone(value=name[:40]) from None
    return name


def _check_deadline(deadline: datetime | None, now: datetime) -> None:
    if deadline is not None and deadline <= now:
        raise DeadlineInPast()


def _event(session: Session, case: Case, actor: Actor, kind: str, **fields: object) -> CaseEvent:
    event = CaseEvent(case=case, kind=kind, actor_id=actor.user_id, **fields)
    session.add(event)
    return event


def _alert_texts(case: Case, text: str | Mapping[str, str]) -> dict[str, str]:
    """A further information or closing text, as {language: text}: one string is in the
    case's original language. Each is checked; the original's must be there (it is what the
    case's record keeps), the others are its translations."""
    given = {case.language: text} if isinstance(text, str) else dict(text)
    checked = {}
    for lang, value in given.items():
        if lang not in LANGUAGES:
            raise InvalidValue(field="language", limit=0, allowed=LANGUAGES)
        if value and value.strip():
            checked[lang] = check_alert_text(value)
    if case.language not in checked:
        if not checked:
            check_alert_text("")
        raise OriginalMissing(ref=case.ref, language=case.language)
    return checked


def create_case(
    session: Session,
    actor: Actor,
    *,
    title: str,
    country: str,
    summary: str = "",
    background: str = "",
    themes: Iterable[str] = (),
    languages: Iterable[str] = (),
    language: str = "en",
    deadline: datetime | None = None,
    ref: str | None = None,
    internal_index: str | None = None,
    internal_notes: str | None = None,
    demo: bool = False,
    now: datetime | None = None,
    timezone: str | None = None,
) -> Case:
    """`timezone`: how the deadline reads; the country's zone when None."""
    require(actor, "coordinator", "newcase")
    now = now or utcnow()
    country = _check_country(country)
    _check_deadline(deadline, now)
    case = Case(
        ref=normalise_ref(ref) if ref else next_ref(session, country, now),
        title=_check_text("title", title, 200),
        country=country,
        timezone=check_timezone(timezone) if timezone else country_timezone(country),
        summary=summary.strip(),
        background=background.strip(),
        themes=_check_themes(themes),
        languages=_check_languages(languages),
        language=_check_languages([language])[0],
        deadline=deadline,
        deadline_version=1 if deadline else 0,
        status="draft",
        internal_index=internal_index,
        internal_notes=internal_notes,
        demo=demo,
        created_by=actor.user_id,
        updated_by=actor.user_id,
        created_at=now,
    )
    if not REF_PATTERN.match(case.ref):
        raise InvalidValue(field="ref", limit=32)
    if session.scalar(select(Case.id).where(Case.ref == case.ref)) is not None:
        raise CaseExists(ref=case.ref)
    session.add(case)
    session.flush()
    _event(session, case, actor, "created")
    audit.record(
        session,
        actor,
        "case.create",
        case_ref=case.ref,
        entity="case",
        entity_id=case.id,
        after=audit.snapshot(case, CASE_FIELDS),
    )
    return case


def add_person(session: Session, actor: Actor, ref: str, person: PersonInput) -> Person:
    require(actor, "coordinator", "addperson")
    case = get_case(session, ref)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    status = person.status.strip().lower()
    if status not in PERSON_STATUSES:
        raise UnknownStatus(status=status[:32], statuses=PERSON_STATUSES)
    _check_counts(person.age, person.group_size)
    row = Person(
        case=case,
        position=max((p.position for p in case.people), default=0) + 1,
        name=_check_text("name", person.name, 200),
        **{f: getattr(person, f) for f in PERSON_FIELDS if f not in ("name", "status")},
        status=status,
    )
    session.add(row)
    session.flush()
    _event(session, case, actor, "person_added", person_id=row.id)
    audit.record(
        session,
        actor,
        "person.add",
        case_ref=case.ref,
        entity="person",
        entity_id=row.id,
        after=audit.snapshot(row, PERSON_FIELDS, Person.RESTRICTED),
    )
    return row


def get_person(case: Case, position: int) -> Person:
    for person in case.people:
        if person.position == position:
            return person
    raise UnknownPerson(ref=case.ref, position=position, count=len(case.people))


def _check_counts(age: object, group_size: object) -> None:
    if age is not None and not (isinstance(age, int) and 0 < age < 130):
        raise InvalidValue(field="age", limit=130)
    if group_size is not None and not (isinstance(group_size, int) and group_size >= 1):
        raise InvalidValue(field="group_size", limit=1)


def _check_person_changes(changes: dict[str, object]) -> dict[str, object]:
    """The changes, checked as add_person checks them, before anything is applied."""
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise InvalidValue(field=sorted(unknown)[0][:32], limit=0)
    if "status" in changes:
        status = str(changes["status"]).strip().lower()
        if status not in PERSON_STATUSES:
            raise UnknownStatus(status=status[:32], statuses=PERSON_STATUSES)
    _check_counts(changes.get("age"), changes.get("group_size"))
    if "name" in changes:
        return {**changes, "name": _check_text("name", str(changes["name"] or ""), 200)}
    return changes


CASE_EDITABLE = (
    "title",
    "summary",
    "background",
    "themes",
    "languages",
    "source_ref",
    "source_url",
    "internal_index",
    "internal_notes",
)
_CASE_LIMITS = {
    "title": 200,
    "summary": 3000,
    "background": 6000,
    "source_ref": 64,
    "source_url": 500,
    "internal_index": 64,
    "internal_notes": 3000,
}


def _check_case_change(field: str, value: str) -> object:
    if field not in CASE_EDITABLE:
        raise InvalidValue(field=field[:32], limit=0, allowed=CASE_EDITABLE)
    if field == "themes":
        return _check_themes(value.replace(",", " ").split())
    if field == "languages":
        return _check_languages(value.replace(",", " ").split())
    if field == "source_url":
        return _check_url(field, value, _CASE_LIMITS[field])
    return _check_text(field, value, _CASE_LIMITS[field])


def edit_case(session: Session, actor: Actor, ref: str, field: str, value: str) -> Case:
    """Change one field of a case (a draft or an active one); audited, internal fields as
    'changed' only."""
    require(actor, "coordinator", "editcase")
    case = get_case(session, ref, whole=False)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    checked = _check_case_change(field, value)
    _apply(session, actor, "case.edit", case, case, {field: checked}, ("internal_notes",))
    case.updated_by = actor.user_id
    return case


def _apply(
    session: Session,
    actor: Actor,
    action: str,
    case: Case,
    row: Case | Person | Target | CaseTarget,
    changes: dict[str, object],
    hidden: Iterable[str] = (),
) -> None:
    """Set `changes` on `row` and audit what changed (a `hidden` field only as 'changed')."""
    before = {f: getattr(row, f) for f in changes}
    for field, value in changes.items():
        setattr(row, field, value)
    old, new = audit.changes(before, changes, hidden)
    entity = {"cases": "case", "people": "person"}.get(row.__tablename__, "target")
    entity_id = row.target_id if isinstance(row, CaseTarget) else row.id
    audit.record(
        session,
        actor,
        action,
        case_ref=case.ref,
        entity=entity,
        entity_id=entity_id,
        before=old,
        after=new,
    )


def edit_person(
    session: Session, actor: Actor, ref: str, position: int, **changes: object
) -> Person:
    """Change a person's fields; the audit shows restricted ones as 'changed'."""
    require(actor, "coordinator", "editperson")
    case = get_case(session, ref)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    person = get_person(case, position)
    changes = _check_person_changes(changes)
    if "status" in changes:
        change_person_status(session, actor, ref, position, str(changes.pop("status")))
    if not changes:
        return person
    _apply(session, actor, "person.edit", case, person, changes, Person.RESTRICTED)
    return person


def change_person_status(
    session: Session, actor: Actor, ref: str, position: int, status: str
) -> Person:
    require(actor, "coordinator", "status")
    status = status.strip().lower()
    if status not in PERSON_STATUSES:
        raise UnknownStatus(status=status[:32], statuses=PERSON_STATUSES)
    case = get_case(session, ref)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    person = get_person(case, position)
    before = person.status
    person.status = status
    _event(session, case, actor, "status_change", person_id=person.id, public_text=status)
    audit.record(
        session,
        actor,
        "person.status",
        case_ref=case.ref,
        entity="person",
        entity_id=person.id,
        before={"status": before},
        after={"status": status},
    )
    return person


def checked_email(address: str) -> str:
    """The address as email-validator normalises it (its syntax only: no DNS lookup), so no
    CR, LF or other character can reach a letter's headers or the .eml export."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidValue(field="email", limit=254) from None


# A social-media handle as people write it: "@name" (X, Instagram, Telegram), letters,
# digits, "_" and "."; "-" clears it.
HANDLE = re.compile(r"@?[A-Za-z0-9_.]{1,50}")


def checked_handle(value: str) -> str | None:
    value = value.strip()
    if value == "-":
        return None
    if not HANDLE.fullmatch(value):
        raise InvalidValue(field="handle", limit=51)
    return value if value.startswith("@") else f"@{value}"


def checked_web_form(value: str) -> str | None:
    """An https page where the official takes appeals; Telegram opens it from a button, and
    only http(s) URLs are allowed there. "-" clears it."""
    value = value.strip()
    if value == "-":
        return None
    parts = urlsplit(value)
    if parts.scheme != "https" or "." not in parts.netloc or len(value) > 500 or " " in value:
        raise InvalidValue(field="web_form", limit=500)
    return value


TARGET_EDITABLE = (
    "title",
    "name",
    "institution",
    "address",
    "email",
    "salutation",
    "language",
    "role",
    "handle",
    "web_form",
)
_TARGET_LIMITS = {"title": 200, "name": 200, "institution": 300, "address": 1000, "salutation": 200}


def get_target(case: Case, position: int) -> CaseTarget:
    for link in case.case_targets:
        if link.position == position:
            return link
    raise UnknownTarget(ref=case.ref, position=position, count=len(case.case_targets))


def edit_target(
    session: Session, actor: Actor, ref: str, position: int, field: str, value: str
) -> CaseTarget:
    """Change one field of a case's target (its role on this case, or the addressee)."""
    require(actor, "coordinator", "edittarget")
    case = get_case(session, ref)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    link = get_target(case, position)
    checked: object
    if field == "role":
        checked = value.strip().lower()
        if checked not in TARGET_ROLES:
            raise UnknownRole(role=str(checked)[:16], roles=TARGET_ROLES)
        entity: Target | CaseTarget = link
    elif field == "email":
        checked, entity = checked_email(value), link.target
    elif field == "language":
        checked, entity = _check_languages([value])[0], link.target
    elif field == "handle":
        checked, entity = checked_handle(value), link.target
    elif field == "web_form":
        checked, entity = checked_web_form(value), link.target
    elif field in _TARGET_LIMITS:
        checked, entity = _check_text(field, value, _TARGET_LIMITS[field]), link.target
    else:
        raise InvalidValue(field=field[:32], limit=0, allowed=TARGET_EDITABLE)
    _apply(session, actor, "target.edit", case, entity, {field: checked})
    return link


def add_target(session: Session, actor: Actor, ref: str, target: TargetInput) -> CaseTarget:
    require(actor, "coordinator", "addtarget")
    case = get_case(session, ref)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    if target.role not in TARGET_ROLES:
        raise UnknownRole(role=target.role[:16], roles=TARGET_ROLES)
    row = _keyed_target(session, case, target.key) or _new_target(target)
    link = CaseTarget(case=case, target=row, role=target.role, position=len(case.case_targets) + 1)
    session.add(link)
    session.flush()
    _event(session, case, actor, "target_added")
    audit.record(
        session,
        actor,
        "target.add",
        case_ref=case.ref,
        entity="target",
        entity_id=row.id,
        after={"title": row.title, "name": row.name, "role": target.role},
    )
    return link


def _new_target(target: TargetInput) -> Target:
    email = None if target.email is None else checked_email(target.email)
    return Target(
        title=_check_text("title", target.title, 200),
        name=_check_text("name", target.name, 200),
        country=_check_country(target.country),
        institution=target.institution.strip(),
        address=target.address.strip(),
        email=email,
        salutation=target.salutation.strip(),
        language=_check_languages([target.language])[0],
        text_language=_check_languages([target.text_language])[0],
        **_check_target_details(
            {
                "key": target.key,
                "pronoun": target.pronoun,
                "handle": target.handle,
                "web_form": target.web_form,
            }
        ),
    )


def _keyed_target(session: Session, case: Case, key: str | None) -> Target | None:
    """The target another case already has under this key: shared, so not duplicated."""
    if key is None:
        return None
    row = session.scalar(select(Target).where(Target.key == _check_key(key)))
    if row is not None and any(link.target_id == row.id for link in case.case_targets):
        raise InvalidValue(field="key", limit=0)  # twice on one case
    return row


TARGET_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
TARGET_PRONOUNS = ("he", "she")
TARGET_DETAILS = ("key", "pronoun", "handle", "web_form", "country")
_DETAIL_LIMITS = {"handle": 100, "web_form": 500}


def _check_key(key: str) -> str:
    if not TARGET_KEY.match(key):
        raise InvalidValue(field="key", limit=64)
    return key


def _check_target_details(changes: dict[str, str | None]) -> dict[str, str | None]:
    """Key, pronoun, handle, web form and country of a target, checked; None clears one
    (but a country)."""
    checked: dict[str, str | None] = {}
    for field, value in changes.items():
        if field not in TARGET_DETAILS:
            raise InvalidValue(field=field[:32], limit=0, allowed=TARGET_DETAILS)
        if value is None and field == "country":
            raise InvalidValue(field=field, limit=2)
        checked[field] = None if value is None else _check_detail(field, value)
    return checked


def _check_detail(field: str, value: str) -> str:
    if field == "key":
        return _check_key(value)
    if field == "pronoun":
        if value not in TARGET_PRONOUNS:
            raise InvalidValue(field=field, limit=0, allowed=TARGET_PRONOUNS)
        return value
    if field == "country":
        return _check_country(value)
    if field == "web_form":
        return _check_url(field, value, _DETAIL_LIMITS[field])
    return _check_text(field, value, _DETAIL_LIMITS[field])


def _check_url(field: str, value: str, limit: int) -> str:
    text = _check_text(field, value, limit)
    if not text.lower().startswith(("https://", "http://")):
        raise InvalidValue(field=field, limit=limit)
    return text


def edit_target_details(
    session: Session, actor: Actor, ref: str, position: int, **changes: str | None
) -> CaseTarget:
    """Change a target's key, pronoun, handle, web form or country (the target is shared by
    every case it is on); audited."""
    require(actor, "coordinator", "edittarget")
    case = get_case(session, ref)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    link = get_target(case, position)
    checked = _check_target_details(changes)
    if "key" in checked and checked["key"] != link.target.key:
        taken = session.scalar(select(Target.id).where(Target.key == checked["key"]))
        if taken is not None:
            raise InvalidValue(field="key", limit=0)
    _apply(session, actor, "target.edit", case, link.target, dict(checked))
    return link


def set_timezone(session: Session, actor: Actor, ref: str, zone: str) -> Case:
    """The zone a case's deadline is read and shown in (the deadline instant stays)."""
    require(actor, "coordinator", "editcase")
    case = get_case(session, ref, whole=False)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    _apply(session, actor, "case.edit", case, case, {"timezone": check_timezone(zone)})
    case.updated_by = actor.user_id
    return case


def set_deadline(
    session: Session, actor: Actor, ref: str, deadline: datetime, now: datetime | None = None
) -> Case:
    require(actor, "coordinator", "deadline")
    now = now or utcnow()
    case = get_case(session, ref, for_update=True)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    _check_deadline(deadline, now)
    before = case.deadline
    case.deadline = deadline
    case.deadline_version += 1
    case.updated_by = actor.user_id
    _event(session, case, actor, "deadline_change", public_text=deadline.isoformat())
    audit.record(
        session,
        actor,
        "case.deadline",
        case_ref=case.ref,
        entity="case",
        entity_id=case.id,
        before={"deadline": before.isoformat() if before else None},
        after={"deadline": deadline.isoformat()},
    )
    return case


def _readiness(case: Case) -> list[str]:
    missing = []
    if not case.people:
        missing.append("people")
    if not case.case_targets:
        missing.append("targets")
    if case.deadline is None:
        missing.append("deadline")
    return missing


def check_publishable(case: Case, now: datetime) -> None:
    """Why a case cannot be published yet, as a DomainError; None when it can."""
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    if case.status == "active":
        raise AlreadyPublished(ref=case.ref)
    missing = _readiness(case)
    if missing:
        raise CaseNotReady(ref=case.ref, missing=missing)
    _check_deadline(case.deadline, now)


def check_active(case: Case) -> None:
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    if case.status != "active":
        raise CaseNotActive(ref=case.ref)


def publish(session: Session, actor: Actor, ref: str, now: datetime | None = None) -> Alert:
    """Make a draft active and queue its 'new' alert for every matching subscriber."""
    require(actor, "coordinator", "publish")
    now = now or utcnow()
    case = get_case(session, ref, for_update=True)
    check_publishable(case, now)
    case.status = "active"
    case.published_at = now
    case.last_update_at = now
    case.updated_by = actor.user_id
    _event(session, case, actor, "published")
    alert = alerts.publish_alert(session, case, "new", actor=actor, now=now)
    audit.record(
        session,
        actor,
        "case.publish",
        case_ref=case.ref,
        entity="case",
        entity_id=case.id,
        before={"status": "draft"},
        after={"status": "active", "alert_id": alert.id, "recipients": alert.recipients},
    )
    return alert


def history(session: Session, case: Case) -> list[CaseEvent]:
    """What subscribers were told after the first alert, oldest first: each further
    information, and the closing notice (someone who joins late reads the whole story)."""
    return list(
        session.scalars(
            select(CaseEvent)
            .where(
                CaseEvent.case_id == case.id,
                CaseEvent.kind.in_(("further_information", "closed")),
            )
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


REPEAT_WINDOW = timedelta(minutes=30)


def repeated_update(session: Session, case: Case, text: str, now: datetime) -> datetime | None:
    """When the same further information last went out for `case`, if within REPEAT_WINDOW:
    a coordinator who retries after an error may be about to send every subscriber a copy."""
    return session.scalar(
        select(func.max(CaseEvent.at)).where(
            CaseEvent.case_id == case.id,
            CaseEvent.kind == "further_information",
            CaseEvent.public_text == text.strip(),
            CaseEvent.at > now - REPEAT_WINDOW,
        )
    )


def further_information(
    session: Session,
    actor: Actor,
    ref: str,
    text: str | Mapping[str, str],
    internal_note: str | None = None,
    now: datetime | None = None,
    *,
    renew: bool = False,
) -> Alert:
    """`renew`: the text renews the call to act (new asks, a new deadline) and opens a new
    round, in which every supporter may report acting again."""
    require(actor, "coordinator", "update")
    now = now or utcnow()
    case = get_case(session, ref, for_update=True)
    check_active(case)
    texts = _alert_texts(case, text)
    case.fi_count += 1
    if renew:
        case.round += 1
        case.round_started_at = now
    case.last_update_at = now
    case.updated_by = actor.user_id
    event = _event(
        session,
        case,
        actor,
        "further_information",
        public_text=texts[case.language],
        internal_note=internal_note,
    )
    session.flush()
    translations.add_event_texts(case, event, texts, actor, now)
    alert = alerts.publish_alert(
        session, case, "further_information", actor=actor, now=now, text=texts, renewed=renew
    )
    audit.record(
        session,
        actor,
        "case.update",
        case_ref=case.ref,
        entity="case",
        entity_id=case.id,
        after={"fi": case.fi_count, "alert_id": alert.id, "recipients": alert.recipients},
    )
    return alert


def close(
    session: Session,
    actor: Actor,
    ref: str,
    outcome: str,
    text: str | Mapping[str, str],
    now: datetime | None = None,
) -> Alert:
    require(actor, "coordinator", "close")
    now = now or utcnow()
    outcome = outcome.strip().lower()
    if outcome not in OUTCOMES:
        raise UnknownOutcome(outcome=outcome[:32], outcomes=OUTCOMES)
    case = get_case(session, ref, for_update=True)
    check_active(case)
    texts = _alert_texts(case, text)
    case.status = "closed"
    case.outcome = outcome
    case.last_update_at = now
    case.updated_by = actor.user_id
    event = _event(session, case, actor, "closed", public_text=texts[case.language])
    session.flush()
    translations.add_event_texts(case, event, texts, actor, now)
    alert = alerts.publish_alert(
        session, case, "closed", actor=actor, now=now, text=texts, include_acted=True
    )
    audit.record(
        session,
        actor,
        "case.close",
        case_ref=case.ref,
        entity="case",
        entity_id=case.id,
        before={"status": "active"},
        after={"status": "closed", "outcome": outcome, "alert_id": alert.id},
    )
    return alert
