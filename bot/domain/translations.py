"""A case's content per language: the original in the rows' own columns, every other language
in case_translations / target_translations, and the nearest language for a reader whose own
is missing.

Storage: one row per (entity, field, language), not a JSON column per field. A translation is
then a row with its own author and time, two coordinators translating different fields never
overwrite each other's work, the audit names one field, and "what is missing in Kazakh" is a
query. The cost is one more SELECT when a whole case is loaded (selectinload), none per
subscriber: alerts are rendered once per language before the fan-out (bot/domain/alerts.py).

Addresses of a text (`Path`), as the bot, the CLI and case documents write them:
    title · summary · background · asks · closing
    people[N].name · people[N].occupation        (N: the person's position)
    targets[N].title|name|institution|address|salutation|polite_name|addressee|asks
    updates[N]                                   (the N-th further information)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain import audit
from bot.domain.errors import DomainError, InvalidValue, NoSuchText, TextTooLong
from bot.domain.staff import Actor, require
from bot.languages import LANGUAGES, content_order
from bot.store.models import (
    Case,
    CaseEvent,
    CaseTarget,
    CaseTranslation,
    Person,
    Target,
    TargetTranslation,
    utcnow,
)

CASE_FIELDS = ("title", "summary", "background", "asks")
PERSON_FIELDS = ("name", "occupation")
# polite_name: the form a salutation uses where that is the custom (ru: name and patronymic);
# addressee: the address block's form (ru, kk: the dative). Neither has a column: the
# original language's text is a translation row in the target's text_language too.
TARGET_FIELDS = (
    "title",
    "name",
    "institution",
    "address",
    "salutation",
    "polite_name",
    "addressee",
)
LINK_FIELDS = ("asks",)  # what this case asks of this target
LIMITS = {
    "title": 200,
    "name": 200,
    "occupation": 200,
    "institution": 300,
    "salutation": 200,
    "polite_name": 200,
    "addressee": 500,
    "address": 1000,
}
TEXT_LIMIT = 4000

_PATH = re.compile(r"^(?:(people|targets|updates)\[(\d+)\])?\.?([a-z_]*)$")


@dataclass(frozen=True)
class Path:
    """Where a text lives: `kind` is "case", "person", "target" or "update"."""

    kind: str
    field: str
    position: int = 0

    def __str__(self) -> str:
        if self.kind == "case":
            return self.field
        if self.kind == "update":
            return "closing" if self.position == 0 else f"updates[{self.position}]"
        plural = {"person": "people", "target": "targets"}[self.kind]
        return f"{plural}[{self.position}].{self.field}"


def parse_path(text: str) -> Path:
    """'title', 'people[2].name', 'targets[1].salutation', 'updates[3]', 'closing'."""
    raw = text.strip().lower()
    match = _PATH.match(raw)
    if raw == "closing":
        return Path("update", "public_text", 0)
    if match:
        plural, number, field = match[1], match[2], match[3]
        if plural is None and field in CASE_FIELDS:
            return Path("case", field)
        if plural == "people" and field in PERSON_FIELDS:
            return Path("person", field, int(number))
        if plural == "targets" and field in TARGET_FIELDS + LINK_FIELDS:
            return Path("target", field, int(number))
        if plural == "updates" and field in ("", "text") and int(number) > 0:
            return Path("update", "public_text", int(number))
    raise InvalidValue(field="field", limit=0, allowed=FIELD_NAMES)


FIELD_NAMES = (
    *CASE_FIELDS,
    *(f"people[N].{f}" for f in PERSON_FIELDS),
    *(f"targets[N].{f}" for f in TARGET_FIELDS + LINK_FIELDS),
    "updates[N]",
    "closing",
)


def chain(lang: str, original: str) -> tuple[str, ...]:
    """The languages a reader of `lang` is given, nearest first: their own, the ones after it
    in the deployment's order (kk → ru → en), then the case's original."""
    order = content_order()
    after = order[order.index(lang) + 1 :] if lang in order else order
    return tuple(dict.fromkeys((lang, *after, original)))


class Texts:
    """One case's translations, indexed; `pick` finds a field's text for a reader and notes
    each language it had to fall back to. Built from rows already loaded (get_case)."""

    def __init__(self, case: Case, lang: str | None = None) -> None:
        self.original = case.language or "en"
        self.lang = lang or self.original
        self.fallbacks: dict[str, int] = {}
        self._case: dict[tuple[str, int, str, str], str] = {
            (t.entity, t.entity_id, t.field, t.language): t.text for t in case.translations
        }

    def _chain(self, original: str) -> tuple[str, ...]:
        return chain(self.lang, original)

    def _pick(self, base: str | None, original: str, found: dict[str, str]) -> str | None:
        for language in self._chain(original):
            value = base if language == original and base else found.get(language)
            if value:
                if language != self.lang:
                    self.fallbacks[language] = self.fallbacks.get(language, 0) + 1
                return value
        return base

    def case(self, case: Case, field: str) -> str:
        found = self._found("case", case.id, field)
        return self._pick(getattr(case, field), self.original, found) or ""

    def person(self, person: Person, field: str) -> str | None:
        return self._pick(
            getattr(person, field), self.original, self._found("person", person.id, field)
        )

    def event(self, event: CaseEvent) -> str | None:
        found = self._found("event", event.id, "public_text")
        return self._pick(event.public_text, self.original, found)

    def link(self, link: CaseTarget, field: str) -> str:
        found = self._found("link", link.target_id, field)
        return self._pick(getattr(link, field), self.original, found) or ""

    def target(self, target: Target, field: str) -> str:
        found = {t.language: t.text for t in target.translations if t.field == field}
        base = getattr(target, field, None)
        return self._pick(base, target.text_language or "en", found) or ""

    def _found(self, entity: str, entity_id: int, field: str) -> dict[str, str]:
        return {
            language: text
            for (e, i, f, language), text in self._case.items()
            if e == entity and i == entity_id and f == field
        }

    @property
    def fallback(self) -> str | None:
        """The language most of what was missing came in; None when nothing was missing."""
        if not self.fallbacks:
            return None
        return max(self.fallbacks, key=lambda code: self.fallbacks[code])


# ---- what is there, what is missing -------------------------------------------------------


def _updates(case: Case) -> list[CaseEvent]:
    return [e for e in case.events if e.kind == "further_information"]


def paths_of(case: Case) -> Iterator[Path]:
    """Every translatable text the case has, by its address."""
    yield from (Path("case", field) for field in CASE_FIELDS)
    for person in case.people:
        yield from (Path("person", field, person.position) for field in PERSON_FIELDS)
    for link in case.case_targets:
        for field in TARGET_FIELDS + LINK_FIELDS:
            yield Path("target", field, link.position)
    for number in range(1, len(_updates(case)) + 1):
        yield Path("update", "public_text", number)
    if _closing(case) is not None:
        yield Path("update", "public_text", 0)


def texts_of(case: Case) -> Iterator[tuple[Path, str, dict[str, str]]]:
    """Every translatable text of the case: its path, its original, the translations."""
    for path in paths_of(case):
        yield (path, *_texts_at(case, path))


def _closing(case: Case) -> CaseEvent | None:
    return max((e for e in case.events if e.kind == "closed"), key=lambda e: e.id, default=None)


def missing(case: Case, lang: str) -> list[str]:
    """The paths of texts the case has in its original but not in `lang`."""
    out = []
    for path, base, found in texts_of(case):
        if not base:
            continue
        original = original_of(case, path)
        if lang != original and not found.get(lang):
            out.append(str(path))
    return out


def original_of(case: Case, path: Path) -> str:
    if path.kind == "target" and path.field not in LINK_FIELDS:
        return _link_at(case, path.position).target.text_language or "en"
    return case.language or "en"


def _link_at(case: Case, position: int) -> CaseTarget:
    from bot.domain.cases import get_target

    return get_target(case, position)


# ---- writing ------------------------------------------------------------------------------


def current(case: Case, path: Path, lang: str) -> str | None:
    """The text at `path` in `lang` exactly (no fallback), or None."""
    try:
        base, found = _texts_at(case, path)
    except DomainError:  # no such person, target or update
        return None
    return base if lang == original_of(case, path) and base else found.get(lang)


def _texts_at(case: Case, path: Path) -> tuple[str, dict[str, str]]:
    """One path's original and translations, as texts_of gives them, without walking every
    text of the case (a case document's import asks for each of its texts in turn)."""
    if path.kind == "target" and path.field not in LINK_FIELDS:
        target = _link_at(case, path.position).target
        found = {t.language: t.text for t in target.translations if t.field == path.field}
        return getattr(target, path.field, None) or found.get(target.text_language, ""), found
    if path.kind == "update":
        event = _event_at(case, path)
        base, (entity, entity_id) = event.public_text, ("event", event.id)
    else:
        row, field = _column(case, path)  # type: ignore[misc]
        base, (entity, entity_id) = getattr(row, field), _entity(case, path)
    found = {
        t.language: t.text
        for t in case.translations
        if (t.entity, t.entity_id, t.field) == (entity, entity_id, path.field)
    }
    return base or "", found


def set_text(
    session: Session,
    actor: Actor,
    case: Case,
    path: Path,
    lang: str,
    text: str,
    now: datetime | None = None,
) -> None:
    """Write one field in one language: the original's column when `lang` is the original,
    a translation row otherwise (replacing the one there). Audited."""
    require(actor, "coordinator", "translate")
    if lang not in LANGUAGES:
        raise InvalidValue(field="language", limit=0, allowed=LANGUAGES)
    text = text.strip()
    limit = LIMITS.get(path.field, TEXT_LIMIT)
    if not text:
        raise InvalidValue(field=str(path), limit=limit)
    if len(text) > limit:
        raise TextTooLong(field=str(path), limit=limit, length=len(text))
    now = now or utcnow()
    before = current(case, path, lang)
    original = original_of(case, path)
    if path.kind == "target" and path.field not in LINK_FIELDS:
        target = _link_at(case, path.position).target
        if lang == original and hasattr(Target, path.field):
            setattr(target, path.field, text)
        else:
            _upsert_target(target, path.field, lang, text, actor, now)
    elif lang == original and path.kind != "update" and _column(case, path) is not None:
        row, field = _column(case, path)  # type: ignore[misc]
        setattr(row, field, text)
    elif lang == original and path.kind == "update":
        _event_at(case, path).public_text = text
    else:
        entity, entity_id = _entity(case, path)
        _upsert_case(case, entity, entity_id, path.field, lang, text, actor, now)
    audit.record(
        session,
        actor,
        "case.translate",
        case_ref=case.ref,
        entity="case",
        entity_id=case.id,
        before={"path": str(path), "language": lang, "text": before},
        after={"path": str(path), "language": lang, "text": text},
    )


def _column(case: Case, path: Path) -> tuple[object, str] | None:
    if path.kind == "case":
        return case, path.field
    if path.kind == "person":
        from bot.domain.cases import get_person

        return get_person(case, path.position), path.field
    if path.kind == "target" and path.field in LINK_FIELDS:
        return _link_at(case, path.position), path.field
    return None


def _event_at(case: Case, path: Path) -> CaseEvent:
    if path.position == 0:
        event = _closing(case)
    else:
        updates = _updates(case)
        event = updates[path.position - 1] if 0 < path.position <= len(updates) else None
    if event is None:
        raise InvalidValue(field=str(path), limit=0)
    return event


def _entity(case: Case, path: Path) -> tuple[str, int]:
    if path.kind == "case":
        return "case", case.id
    if path.kind == "person":
        from bot.domain.cases import get_person

        return "person", get_person(case, path.position).id
    if path.kind == "target":
        return "link", _link_at(case, path.position).target_id
    return "event", _event_at(case, path).id


def _upsert_case(
    case: Case,
    entity: str,
    entity_id: int,
    field: str,
    lang: str,
    text: str,
    actor: Actor,
    now: datetime,
) -> None:
    for row in case.translations:
        if (row.entity, row.entity_id, row.field, row.language) == (entity, entity_id, field, lang):
            row.text, row.translated_by, row.translated_at = text, actor.user_id, now
            return
    case.translations.append(
        CaseTranslation(
            entity=entity,
            entity_id=entity_id,
            field=field,
            language=lang,
            text=text,
            translated_by=actor.user_id,
            translated_at=now,
        )
    )


def _upsert_target(
    target: Target, field: str, lang: str, text: str, actor: Actor, now: datetime
) -> None:
    for row in target.translations:
        if (row.field, row.language) == (field, lang):
            row.text, row.translated_by, row.translated_at = text, actor.user_id, now
            return
    target.translations.append(
        TargetTranslation(
            field=field, language=lang, text=text, translated_by=actor.user_id, translated_at=now
        )
    )


def add_event_texts(
    case: Case, event: CaseEvent, texts: dict[str, str], actor: Actor, now: datetime
) -> None:
    """A further information or closing text given in several languages at once: the
    original's text is the event's own, the others become translations."""
    for lang, text in texts.items():
        if lang != (case.language or "en") and text.strip():
            _upsert_case(case, "event", event.id, "public_text", lang, text.strip(), actor, now)


def pick_text(texts: dict[str, str], lang: str, original: str) -> tuple[str, str]:
    """The text of a multi-language further information for a reader: (text, its language)."""
    for language in chain(lang, original):
        if texts.get(language):
            return texts[language], language
    language, text = next(iter(texts.items()))
    return text, language


# ---- guiding a translator -----------------------------------------------------------------


def check_path(case: Case, text: str) -> str:
    """`text` as a path the case has (written as the domain writes it), or NoSuchText."""
    path = str(parse_path(text))
    if path not in {str(p) for p, _, _ in texts_of(case)}:
        raise NoSuchText(ref=case.ref, path=path)
    return path


def translatable(case: Case, lang: str) -> list[tuple[str, bool]]:
    """Every text the case has, by path in the case's order, and whether `lang` lacks it."""
    gaps = set(missing(case, lang))
    return [(str(path), str(path) in gaps) for path, base, _ in texts_of(case) if base]


def next_missing(case: Case, lang: str, after: str | None = None) -> str | None:
    """The next text `lang` lacks after the path `after` (wrapping round to the first), so a
    translator skipping one field is not offered it again at once; None when none is left."""
    gaps = missing(case, lang)
    if after is None or not gaps:
        return gaps[0] if gaps else None
    order = [str(path) for path, base, _ in texts_of(case) if base]
    start = order.index(after) + 1 if after in order else 0
    for path in order[start:] + order[:start]:
        if path in gaps and path != after:
            return path
    return None
