"""Cases as documents: one case in a YAML file (JSON is accepted: it is the same structure),
imported as a draft or over the draft or active case with the same reference, and exported
in the same format, so that export → import → export gives the same document.

The format is documented for users in docs/CASE_FORMAT.md. Here:
- `load` parses the text and keeps, for every field, the line it is on;
- `validate` turns the parsed data into a `CaseDocument`, or raises the first problem as a
  `DocumentError` naming the field's path (`people[1].pronoun`) and its line;
- `import_document` writes it through the domain functions that the bot's commands use
  (cases, translations, letters), so every change is checked and audited as theirs are;
  the caller's transaction holds it all, so a refusal half-way leaves nothing written;
- `export_document` and `dump` write a case back: every public and internal field in every
  language, never a restricted one.

Numbers in paths count from 1, as people and targets are numbered everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import cases, letters, translations
from bot.domain.cases import PersonInput, TargetInput
from bot.domain.errors import DomainError
from bot.domain.staff import Actor, require
from bot.domain.translations import Path
from bot.domain.vocab import THEMES, country_timezone, normalise_country
from bot.languages import LANGUAGES
from bot.store.crypto import keyring
from bot.store.models import (
    CASE_STATUSES,
    PERSON_STATUSES,
    TARGET_ROLES,
    Case,
    CaseTarget,
    Person,
    utcnow,
)

FORMAT = "uabot-case/1"
Texts = dict[str, str]  # language → text
LineMap = Mapping[str, int]  # a field's path → its line (1-based)

# The top-level keys, in the order export writes them.
CASE_KEYS = (
    "format",
    "ref",
    "status",
    "country",
    "timezone",
    "deadline",
    "language",
    "languages",
    "themes",
    "source",
    "title",
    "summary",
    "background",
    "asks",
    "internal",
    "people",
    "targets",
    "letters",
    "updates",
    "closing",
)
PERSON_KEYS = (
    "name",
    "pronoun",
    "age",
    "occupation",
    "group_size",
    "status",
    "restricted",
)
PERSON_PRONOUNS = ("he", "she", "they")
TARGET_KEYS = (
    "key",
    "role",
    "country",
    "language",
    "email",
    "pronoun",
    "handle",
    "web_form",
    *translations.TARGET_FIELDS,
    "asks",
)
DEADLINE_FORMAT = "%Y-%m-%dT%H:%M"


class DocumentError(DomainError):
    """A document refused: the field's path, its line (None when the document has no lines,
    or the problem is the whole document's), and the problem. Nothing was written.

    The parameters never carry a restricted value, nor any free text of the document: only
    field names, paths, and words from a closed list (a pronoun, a status) it got wrong."""

    code = "document_error"

    def __init__(self, path: str, line: int | None, problem: str, **params: Any) -> None:
        super().__init__(path=path, line=line, problem=problem, **params)

    @property
    def path(self) -> str:
        return str(self.params["path"])

    @property
    def line(self) -> int | None:
        line = self.params["line"]
        return int(line) if line is not None else None

    @property
    def problem(self) -> str:
        return str(self.params["problem"])


# ---- reading ------------------------------------------------------------------------------


class _Loader(yaml.CSafeLoader):
    """YAML as JSON reads it: only true/false are booleans (YAML 1.1 also takes `no`, which
    is Norway's country code), and dates stay text (the deadline is read as local time)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":timestamp"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load(text: str) -> tuple[Any, dict[str, int]]:
    """The document's data, and the line of every field in it by path."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DocumentError("", 1, "wrong_type", expected="mapping", got="null")
        lines: dict[str, int] = {"": node.start_mark.line + 1}
        _lines(node, "", lines)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or exc.context or ""
        raise DocumentError("", mark.line + 1 if mark else None, "syntax", detail=detail) from None
    except yaml.YAMLError:
        raise DocumentError("", None, "syntax", detail="") from None
    finally:
        loader.dispose()


def _lines(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if child in lines:
                raise DocumentError(child, key_node.start_mark.line + 1, "duplicate")
            lines[child] = key_node.start_mark.line + 1
            _lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value, start=1):
            child = f"{path}[{number}]"
            lines[child] = item.start_mark.line + 1
            _lines(item, child, lines)


# ---- the document, checked ----------------------------------------------------------------


@dataclass(frozen=True)
class PersonDocument:
    name: Texts
    pronoun: str | None
    age: int | None
    occupation: Texts
    group_size: int | None
    status: str
    restricted: dict[str, str]
    given: frozenset[str]  # the keys the document gave (a key left out is left as it is)


@dataclass(frozen=True)
class TargetDocument:
    key: str | None
    role: str
    country: str
    language: str
    email: str | None
    details: dict[str, str | None]  # pronoun, handle, web_form
    texts: dict[str, Texts]  # title, name, institution, …, asks
    given: frozenset[str]


@dataclass(frozen=True)
class CaseDocument:
    ref: str
    status: str | None
    country: str
    timezone: str
    deadline: datetime | None
    language: str
    languages: list[str]
    themes: list[str]
    source: dict[str, str | None]
    texts: dict[str, Texts]  # title, summary, background, asks
    internal: dict[str, str | None]
    people: list[PersonDocument]
    targets: list[TargetDocument]
    letters: Texts
    updates: list[Texts]
    closing: Texts
    given: frozenset[str] = field(default_factory=frozenset)


class _Reader:
    """Reads values off the parsed data, raising a DocumentError at the first problem."""

    def __init__(self, lines: LineMap) -> None:
        self.lines = lines

    def line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\.[^.\[\]]*|\[\d+\])$", "", path)
        return self.lines.get("")

    def fail(self, path: str, problem: str, **params: Any) -> DocumentError:
        return DocumentError(path, self.line(path), problem, **params)

    def mapping(
        self, value: Any, path: str, known: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "wrong_type", expected="mapping", got=_kind(value))
        for key in value:
            if not isinstance(key, str) or key not in known:
                raise self.fail(_join(path, str(key)), "unknown_field", allowed=known)
        for key in required:
            if value.get(key) is None:
                raise self.fail(_join(path, key), "missing")
        return value

    def text(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(path, "wrong_type", expected="text", got=_kind(value))
        return value.strip() or None

    def number(self, value: Any, path: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, "wrong_type", expected="number", got=_kind(value))
        return int(value)

    def choice(self, value: Any, path: str, allowed: tuple[str, ...]) -> str | None:
        text = self.text(value, path)
        if text is not None and text not in allowed:
            what = path.rsplit(".", 1)[-1].split("[")[0]
            raise self.fail(path, "unknown_value", what=what, value=text[:40], allowed=allowed)
        return text

    def language(self, value: Any, path: str) -> str | None:
        text = self.text(value, path)
        if text is not None and text not in LANGUAGES:
            raise self.fail(path, "unknown_language", value=text[:16], allowed=LANGUAGES)
        return text

    def words(self, value: Any, path: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, "wrong_type", expected="list", got=_kind(value))
        return [self.text(item, f"{path}[{n}]") or "" for n, item in enumerate(value, start=1)]

    def texts(self, value: Any, path: str, original: str) -> Texts:
        """A translatable text: a mapping language → text, or one string in `original`."""
        if value is None or isinstance(value, str):
            text = self.text(value, path)
            return {original: text} if text else {}
        if not isinstance(value, dict):
            raise self.fail(path, "wrong_type", expected="texts", got=_kind(value))
        found: Texts = {}
        for lang, text in value.items():
            code = self.language(lang, _join(path, str(lang))) if isinstance(lang, str) else None
            if code is None:
                raise self.fail(path, "unknown_language", value=str(lang)[:16], allowed=LANGUAGES)
            checked = self.text(text, _join(path, code))
            if checked:
                found[code] = checked
        return found

    def items(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, "wrong_type", expected="list", got=_kind(value))
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    """What a wrong value is, in the document's terms (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    return "mapping"


def validate(data: Any, lines: LineMap | None = None) -> CaseDocument:
    """The document checked and normalised; the first problem raised as a DocumentError."""
    read = _Reader(lines or {})
    doc = read.mapping(data, "", CASE_KEYS, required=("format", "ref", "country", "title"))
    if doc["format"] != FORMAT:
        value = str(doc["format"])[:40]
        raise read.fail("format", "unknown_value", what="format", value=value, allowed=(FORMAT,))
    language = read.language(doc.get("language"), "language") or "en"
    country = _country(read, doc["country"], "country")
    zone = read.text(doc.get("timezone"), "timezone") or country_timezone(country)
    checked = CaseDocument(
        ref=_ref(read, doc["ref"]),
        status=read.choice(doc.get("status"), "status", CASE_STATUSES),
        country=country,
        timezone=_zone(read, zone),
        deadline=_deadline(read, doc.get("deadline"), zone),
        language=language,
        languages=_languages(read, doc.get("languages")),
        themes=_themes(read, doc.get("themes")),
        source=_pair(read, doc.get("source"), "source", ("ref", "url")),
        texts={f: read.texts(doc.get(f), f, language) for f in translations.CASE_FIELDS},
        internal=_pair(read, doc.get("internal"), "internal", ("index", "notes")),
        people=[
            _person(read, p, f"people[{n}]", language)
            for n, p in enumerate(read.items(doc.get("people"), "people"), start=1)
        ],
        targets=_targets(read, doc.get("targets"), language),
        letters=_letters(read, doc.get("letters")),
        updates=_updates(read, doc.get("updates"), language),
        closing=read.texts(doc.get("closing"), "closing", language),
        given=frozenset(doc),
    )
    if language not in checked.texts["title"]:
        raise read.fail("title", "no_original", language=language)
    return checked


def _languages(read: _Reader, value: Any) -> list[str]:
    codes = read.words(value, "languages")
    for number, code in enumerate(codes, start=1):
        read.language(code, f"languages[{number}]")
    return codes


def _ref(read: _Reader, value: Any) -> str:
    ref = cases.normalise_ref(read.text(value, "ref") or "")
    if not cases.REF_PATTERN.match(ref):
        raise read.fail("ref", "bad_ref")
    return ref


def _country(read: _Reader, value: Any, path: str) -> str:
    text = read.text(value, path) or ""
    country = normalise_country(text)
    if country is None:
        raise read.fail(path, "unknown_value", what="country", value=text[:8], allowed=())
    return country


def _zone(read: _Reader, zone: str) -> str:
    try:
        return cases.check_timezone(zone)
    except DomainError:
        raise read.fail("timezone", "unknown_value", what="timezone", value=zone[:40]) from None


def _deadline(read: _Reader, value: Any, zone: str) -> datetime | None:
    text = read.text(value, "deadline")
    if text is None:
        return None
    try:
        local = datetime.strptime(text, DEADLINE_FORMAT)
        return local.replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        raise read.fail("deadline", "bad_deadline") from None


def _themes(read: _Reader, value: Any) -> list[str]:
    themes = read.words(value, "themes")
    for number, theme in enumerate(themes, start=1):
        read.choice(theme, f"themes[{number}]", THEMES)
    return themes


def _pair(read: _Reader, value: Any, path: str, keys: tuple[str, str]) -> dict[str, str | None]:
    if value is None:
        return {}
    found = read.mapping(value, path, keys)
    return {key: read.text(found[key], f"{path}.{key}") for key in keys if key in found}


def _person(read: _Reader, value: Any, path: str, language: str) -> PersonDocument:
    data = read.mapping(value, path, PERSON_KEYS, required=("name",))
    name = read.texts(data["name"], f"{path}.name", language)
    if language not in name:
        raise read.fail(f"{path}.name", "no_original", language=language)
    return PersonDocument(
        name=name,
        pronoun=read.choice(data.get("pronoun"), f"{path}.pronoun", PERSON_PRONOUNS),
        age=read.number(data.get("age"), f"{path}.age"),
        occupation=read.texts(data.get("occupation"), f"{path}.occupation", language),
        group_size=read.number(data.get("group_size"), f"{path}.group_size"),
        status=read.choice(data.get("status"), f"{path}.status", PERSON_STATUSES) or "at_risk",
        restricted=_restricted(read, data.get("restricted"), f"{path}.restricted"),
        given=frozenset(data),
    )


def _restricted(read: _Reader, value: Any, path: str) -> dict[str, str]:
    if value is None:
        return {}
    data = read.mapping(value, path, Person.RESTRICTED)
    if data and not keyring.configured:
        raise read.fail(path, "no_key")
    return {key: text for key in data if (text := read.text(data[key], f"{path}.{key}"))}


def _targets(read: _Reader, value: Any, language: str) -> list[TargetDocument]:
    targets = [
        _target(read, item, f"targets[{n}]", language)
        for n, item in enumerate(read.items(value, "targets"), start=1)
    ]
    seen: set[str] = set()
    for number, target in enumerate(targets, start=1):
        if target.key is not None and target.key in seen:
            raise read.fail(f"targets[{number}].key", "duplicate")
        seen.add(target.key or "")
    return targets


def _target(read: _Reader, value: Any, path: str, language: str) -> TargetDocument:
    data = read.mapping(value, path, TARGET_KEYS, required=("title", "name", "country"))
    key = read.text(data.get("key"), f"{path}.key")
    if key is not None and not cases.TARGET_KEY.match(key):
        raise read.fail(f"{path}.key", "bad_key")
    texts = {
        f: read.texts(data.get(f), f"{path}.{f}", language)
        for f in (*translations.TARGET_FIELDS, "asks")
    }
    if not set(texts["title"]) & set(texts["name"]):
        raise read.fail(f"{path}.name", "no_common_language")
    return TargetDocument(
        key=key,
        role=read.choice(data.get("role"), f"{path}.role", TARGET_ROLES) or "primary",
        country=_country(read, data["country"], f"{path}.country"),
        language=read.language(data.get("language"), f"{path}.language") or language,
        email=read.text(data.get("email"), f"{path}.email"),
        details={
            "pronoun": read.choice(data.get("pronoun"), f"{path}.pronoun", cases.TARGET_PRONOUNS),
            "handle": read.text(data.get("handle"), f"{path}.handle"),
            "web_form": read.text(data.get("web_form"), f"{path}.web_form"),
        },
        texts=texts,
        given=frozenset(data),
    )


def _letters(read: _Reader, value: Any) -> Texts:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise read.fail("letters", "wrong_type", expected="texts", got=_kind(value))
    found: Texts = {}
    for lang, body in value.items():
        code = read.language(str(lang), f"letters.{lang}") or ""
        text = read.text(body, f"letters.{code}")
        if text:
            found[code] = text
    return found


def _updates(read: _Reader, value: Any, language: str) -> list[Texts]:
    updates = []
    for number, item in enumerate(read.items(value, "updates"), start=1):
        path = f"updates[{number}]"
        data = read.mapping(item, path, ("text",), required=("text",))
        updates.append(read.texts(data["text"], f"{path}.text", language))
    return updates


# ---- importing ----------------------------------------------------------------------------


@contextmanager
def _at(read: _Reader, path: str) -> Iterator[None]:
    """A domain refusal while writing the field at `path`, as a DocumentError there."""
    try:
        yield
    except DocumentError:
        raise
    except DomainError as exc:
        raise read.fail(path, "refused", reason=exc.message()) from None


def import_document(
    session: Session,
    actor: Actor,
    data: Any,
    lines: LineMap | None = None,
    *,
    now: datetime | None = None,
    demo: bool = False,
) -> tuple[Case, bool]:
    """Create the document's case as a draft, or bring the draft or active case with its
    reference up to it; (the case, whether it was created). Nothing is deleted: a field or
    a language the document leaves out is left as it is, and a document may not list fewer
    people or targets than the case has. In the caller's transaction: on a DocumentError
    the caller rolls back, and nothing is written."""
    require(actor, "coordinator", "import")
    read = _Reader(lines or {})
    doc = validate(data, lines)
    now = now or utcnow()
    existing = session.scalar(select(Case.id).where(Case.ref == doc.ref))
    if doc.status == "closed":
        raise read.fail("status", "closed")
    if existing is None:
        _refuse_new_updates(read, doc)
        if doc.deadline is not None and doc.deadline <= now:
            raise read.fail("deadline", "past")
        with _at(read, "ref"):
            _create(session, actor, doc, now, demo)
    case = cases.get_case(session, doc.ref, for_update=True)
    if case.status == "closed":
        raise read.fail("ref", "closed")
    # The case and its rows are all in this session: the domain functions' own reads need
    # not flush before each query (they flush where they need an id).
    with session.no_autoflush:
        if existing is not None:
            _update_case(session, actor, read, case, doc, now)
        for write in (_write_texts, _write_people, _write_targets, _write_letters, _write_updates):
            write(session, actor, read, case, doc, now)
    return case, existing is None


def _refuse_new_updates(read: _Reader, doc: CaseDocument) -> None:
    if doc.updates:
        raise read.fail("updates[1]", "no_such_update", count=0)
    if doc.closing:
        raise read.fail("closing", "closed")


def _create(session: Session, actor: Actor, doc: CaseDocument, now: datetime, demo: bool) -> None:
    case = cases.create_case(
        session,
        actor,
        ref=doc.ref,
        title=doc.texts["title"][doc.language],
        country=doc.country,
        themes=doc.themes,
        languages=doc.languages,
        language=doc.language,
        deadline=doc.deadline,
        internal_index=doc.internal.get("index"),
        internal_notes=doc.internal.get("notes"),
        demo=demo,
        now=now,
        timezone=doc.timezone,
    )
    for key, column in (("ref", "source_ref"), ("url", "source_url")):
        value = doc.source.get(key)
        if value:
            cases.edit_case(session, actor, case.ref, column, value)


def _update_case(
    session: Session, actor: Actor, read: _Reader, case: Case, doc: CaseDocument, now: datetime
) -> None:
    """The case's own fields that the document changes, each through its domain function."""
    if doc.country != case.country:
        raise read.fail("country", "fixed")
    if doc.language != case.language:
        raise read.fail("language", "fixed")
    if "timezone" in doc.given and doc.timezone != case.timezone:
        with _at(read, "timezone"):
            cases.set_timezone(session, actor, case.ref, doc.timezone)
    if doc.deadline is not None and doc.deadline != case.deadline:
        with _at(read, "deadline"):
            cases.set_deadline(session, actor, case.ref, doc.deadline, now)
    edits = {
        "themes": " ".join(doc.themes) if "themes" in doc.given else None,
        "languages": " ".join(doc.languages) if "languages" in doc.given else None,
        "source_ref": doc.source.get("ref"),
        "source_url": doc.source.get("url"),
        "internal_index": doc.internal.get("index"),
        "internal_notes": doc.internal.get("notes"),
    }
    for column, value in edits.items():
        current = getattr(case, column)
        if value is None or value == (" ".join(current) if isinstance(current, list) else current):
            continue
        with _at(read, _EDIT_PATHS[column]):
            cases.edit_case(session, actor, case.ref, column, value)


_EDIT_PATHS = {
    "themes": "themes",
    "languages": "languages",
    "source_ref": "source.ref",
    "source_url": "source.url",
    "internal_index": "internal.index",
    "internal_notes": "internal.notes",
}


def _set_texts(
    session: Session,
    actor: Actor,
    read: _Reader,
    case: Case,
    path: Path,
    texts: Texts,
    now: datetime,
) -> None:
    """Each language's text at `path`, written where it differs from what is there."""
    for lang, text in texts.items():
        if translations.current(case, path, lang) == text:
            continue
        with _at(read, f"{_document_path(path)}.{lang}"):
            translations.set_text(session, actor, case, path, lang, text, now)


def _document_path(path: Path) -> str:
    return f"{path}.text" if path.kind == "update" and path.position else str(path)


def _write_texts(
    session: Session, actor: Actor, read: _Reader, case: Case, doc: CaseDocument, now: datetime
) -> None:
    for name, texts in doc.texts.items():
        _set_texts(session, actor, read, case, Path("case", name), texts, now)


def _write_people(
    session: Session, actor: Actor, read: _Reader, case: Case, doc: CaseDocument, now: datetime
) -> None:
    if len(case.people) > len(doc.people):
        raise read.fail("people", "fewer", count=len(case.people))
    for position, person in enumerate(doc.people, start=1):
        path = f"people[{position}]"
        with _at(read, path):
            if position > len(case.people):
                cases.add_person(session, actor, case.ref, _person_input(doc, person))
            else:
                _edit_person(session, actor, case, position, person)
        for name in translations.PERSON_FIELDS:
            texts = getattr(person, name)
            _set_texts(session, actor, read, case, Path("person", name, position), texts, now)


def _person_input(doc: CaseDocument, person: PersonDocument) -> PersonInput:
    return PersonInput(
        name=person.name[doc.language],
        status=person.status,
        pronoun=person.pronoun,
        age=person.age,
        group_size=person.group_size,
        **person.restricted,
    )


def _edit_person(
    session: Session, actor: Actor, case: Case, position: int, person: PersonDocument
) -> None:
    row = cases.get_person(case, position)
    wanted: dict[str, object] = {
        name: getattr(person, name)
        for name in ("pronoun", "age", "group_size", "status")
        if name in person.given
    }
    changes = {name: value for name, value in wanted.items() if getattr(row, name) != value}
    # Restricted values are written as given, never read back to compare: they are not
    # loaded unless asked for, and the audit shows them only as "changed".
    changes.update(person.restricted)
    if changes:
        cases.edit_person(session, actor, case.ref, position, **changes)


def _write_targets(
    session: Session, actor: Actor, read: _Reader, case: Case, doc: CaseDocument, now: datetime
) -> None:
    matched: set[int] = set()
    for number, target in enumerate(doc.targets, start=1):
        path = f"targets[{number}]"
        with _at(read, path):
            link = _link_for(session, actor, case, number, target)
            matched.add(link.target_id)
            _edit_target(session, actor, case, link.position, target)
        for name, texts in target.texts.items():
            where = Path("target", name, link.position)
            _set_texts(session, actor, read, case, where, texts, now)
    unlisted = [link for link in case.case_targets if link.target_id not in matched]
    if unlisted:
        raise read.fail("targets", "fewer", count=len(case.case_targets))


def _link_for(
    session: Session, actor: Actor, case: Case, number: int, target: TargetDocument
) -> CaseTarget:
    """The case's target the document's `number`-th one is: the one with its key, else the
    keyless one at its place; a target new to the case is added (reused by key)."""
    for link in case.case_targets:
        if target.key is not None and link.target.key == target.key:
            return link
    at = next((link for link in case.case_targets if link.position == number), None)
    if at is not None and at.target.key is None:
        return at
    language = next(
        lang
        for lang in (target.language, *LANGUAGES)
        if lang in target.texts["title"] and lang in target.texts["name"]
    )
    return cases.add_target(
        session,
        actor,
        case.ref,
        TargetInput(
            title=target.texts["title"][language],
            name=target.texts["name"][language],
            country=target.country,
            email=target.email,
            language=target.language,
            role=target.role,
            key=target.key,
            text_language=language,
            **{k: v for k, v in target.details.items() if v is not None},
        ),
    )


def _edit_target(
    session: Session, actor: Actor, case: Case, position: int, target: TargetDocument
) -> None:
    link = cases.get_target(case, position)
    if link.role != target.role:
        cases.edit_target(session, actor, case.ref, position, "role", target.role)
    if link.target.language != target.language:
        cases.edit_target(session, actor, case.ref, position, "language", target.language)
    if target.email is not None and link.target.email != target.email:
        cases.edit_target(session, actor, case.ref, position, "email", target.email)
    wanted = {"key": target.key, "country": target.country} | {
        name: value for name, value in target.details.items() if name in target.given
    }
    changes = {
        name: value
        for name, value in wanted.items()
        if getattr(link.target, name) != value and not (name == "key" and value is None)
    }
    if changes:
        cases.edit_target_details(session, actor, case.ref, position, **changes)


def _write_letters(
    session: Session, actor: Actor, read: _Reader, case: Case, doc: CaseDocument, now: datetime
) -> None:
    for lang, body in doc.letters.items():
        if letters.letter_body(case, lang) == body:
            continue
        with _at(read, f"letters.{lang}"):
            letters.set_letter(session, actor, case.ref, lang, body, on=now.date())


def _write_updates(
    session: Session, actor: Actor, read: _Reader, case: Case, doc: CaseDocument, now: datetime
) -> None:
    """Further information can be translated, or a translation corrected; what subscribers
    were sent in the original stays as it was sent."""
    if doc.closing:
        raise read.fail("closing", "closed")
    count = case.fi_count
    for number, texts in enumerate(doc.updates, start=1):
        if number > count:
            raise read.fail(f"updates[{number}]", "no_such_update", count=count)
        path = Path("update", "public_text", number)
        sent = translations.current(case, path, case.language)
        if case.language in texts and texts[case.language] != sent:
            raise read.fail(f"updates[{number}].text.{case.language}", "sent")
        _set_texts(session, actor, read, case, path, texts, now)


# ---- exporting ----------------------------------------------------------------------------


def export_document(case: Case) -> dict[str, Any]:
    """The case as a document (a whole case, from cases.get_case): public and internal
    fields in every language; restricted fields never."""
    texts = _all_texts(case)
    return {
        "format": FORMAT,
        "ref": case.ref,
        "status": case.status,
        "country": case.country,
        "timezone": case.timezone,
        "deadline": _local(case.deadline, case.timezone),
        "language": case.language,
        "languages": list(case.languages or ()),
        "themes": list(case.themes or ()),
        "source": {"ref": case.source_ref, "url": case.source_url},
        **{name: texts.get(name, {}) for name in translations.CASE_FIELDS},
        "internal": {"index": case.internal_index, "notes": case.internal_notes},
        "people": [_export_person(p, texts) for p in case.people],
        "targets": [_export_target(link, texts) for link in case.case_targets],
        "letters": {lang: body for lang in LANGUAGES if (body := letters.letter_body(case, lang))},
        "updates": [
            {"text": texts[f"updates[{n}]"]}
            for n in range(1, case.fi_count + 1)
            if f"updates[{n}]" in texts
        ],
        "closing": texts.get("closing") or None,
    }


def _all_texts(case: Case) -> dict[str, Texts]:
    """Every translatable text of the case by path, each in every language it has."""
    found: dict[str, Texts] = {}
    for path, base, others in translations.texts_of(case):
        original = translations.original_of(case, path)
        merged = {**others, original: base} if base else dict(others)
        found[str(path)] = {lang: merged[lang] for lang in LANGUAGES if merged.get(lang)}
    return found


def _local(deadline: datetime | None, zone: str) -> str | None:
    if deadline is None:
        return None
    return deadline.astimezone(ZoneInfo(zone)).strftime(DEADLINE_FORMAT)


def _export_person(person: Person, texts: dict[str, Texts]) -> dict[str, Any]:
    path = f"people[{person.position}]"
    return {
        "name": texts[f"{path}.name"],
        "pronoun": person.pronoun,
        "age": person.age,
        "occupation": texts.get(f"{path}.occupation", {}),
        "group_size": person.group_size,
        "status": person.status,
    }


def _export_target(link: CaseTarget, texts: dict[str, Texts]) -> dict[str, Any]:
    target, path = link.target, f"targets[{link.position}]"
    return {
        "key": target.key,
        "role": link.role,
        "country": target.country,
        "language": target.language,
        "email": target.email,
        "pronoun": target.pronoun,
        "handle": target.handle,
        "web_form": target.web_form,
        **{name: texts.get(f"{path}.{name}", {}) for name in (*translations.TARGET_FIELDS, "asks")},
    }


class _Flow(list[str]):
    """A short list of codes, written on one line: [kk, ru, en]."""


class _Dumper(yaml.SafeDumper):
    """Key order as given, text as blocks, short code lists inline."""


def _text(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    # A literal block keeps lines as they are (asks: one per line); a long paragraph folds.
    style = "|" if "\n" in value else ">" if len(value) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _flow(dumper: _Dumper, value: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(_Flow, _flow)


def dump(document: Mapping[str, Any]) -> str:
    """The document as YAML: stable key order, Unicode as itself, multi-line text as a block."""
    data = {
        key: _Flow(value) if key in ("languages", "themes") else value
        for key, value in document.items()
    }
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
