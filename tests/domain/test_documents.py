"""Cases as documents: export → import → export gives the same document, and a bad document
names the field and its line and writes nothing (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import resources
from bot.domain import cases, documents
from bot.domain.documents import DocumentError
from bot.domain.staff import SYSTEM
from bot.store.crypto import keyring
from bot.store.models import Case, Person, Target
from tests.clock import ahead
from tests.domain.factories import CANARIES, count, dump

DEADLINE = ahead(days=40).astimezone(documents.ZoneInfo("Asia/Almaty"))


def document(ref: str = "KZ-2026-201") -> str:
    """A case in three languages with everything a document carries."""
    return f"""\
format: uabot-case/1
ref: {ref}
country: KZ
timezone: Asia/Almaty
deadline: "{DEADLINE:%Y-%m-%dT%H:%M}"
language: en
languages: [kk, ru, en]
themes: [detention, fair_trial]
source: {{ref: "EUR 57/1234/2026", url: "https://example.org/ua"}}
title:
  en: Journalist detained
  ru: Журналист задержан
  kk: Журналист ұсталды
summary: {{en: She was detained in Almaty., ru: Её задержали в Алматы., kk: Ол Алматыда ұсталды.}}
background: Only in English.
asks:
  en: |-
    Release her.
    Let her see a lawyer.
  ru: |-
    Освободить её.
    Допустить к ней адвоката.
internal: {{index: "IDX 9", notes: "staff only"}}
people:
  - name: {{en: Aigerim Example, ru: Айгерим Пример, kk: Әйгерім Мысал}}
    pronoun: she
    age: 34
    occupation: {{en: journalist, ru: журналист}}
    group_size: null
    status: detained
    restricted:
      whereabouts: "{CANARIES["whereabouts"]}"
      health: "{CANARIES["health"]}"
targets:
  - key: kz-prosecutor-general
    role: primary
    country: KZ
    language: ru
    email: prosecutor-general@example.org
    pronoun: he
    handle: "@prokuratura"
    web_form: https://example.org/complaint
    title: {{en: Prosecutor General, ru: Генеральный прокурор}}
    name: {{en: Prosecutor General (illustrative), ru: Генеральный прокурор (условно)}}
    salutation: {{ru: Уважаемый господин Генеральный прокурор!}}
    polite_name: {{ru: Берик Нурланович}}
    addressee: {{ru: Генеральному прокурору}}
    asks: {{en: Drop the charges., ru: Снять обвинения.}}
  - key: null
    role: copy
    country: KZ
    language: en
    email: null
    title: Ambassador
    name: Embassy of Kazakhstan (illustrative)
letters:
  en: |-
    {{{{ salutation }}}}

    Please release the journalist.
"""


def _import(sessions: sessionmaker[Session], text: str) -> tuple[str, bool]:
    with sessions.begin() as session:
        data, lines = documents.load(text)
        case, created = documents.import_document(session, SYSTEM, data, lines)
        return case.ref, created


def _export(sessions: sessionmaker[Session], ref: str) -> str:
    with sessions() as session:
        return documents.dump(documents.export_document(cases.get_case(session, ref)))


def test_export_import_export_gives_the_same_document(sessions: sessionmaker[Session]) -> None:
    ref, created = _import(sessions, document())
    first = _export(sessions, ref)

    again, created_again = _import(sessions, first)
    assert (created, again, created_again) == (True, ref, False)
    assert _export(sessions, ref) == first

    # The same document under another reference: a new case, the keyed target reused.
    copy, created_copy = _import(sessions, first.replace(ref, "KZ-2026-202"))
    assert created_copy
    assert _export(sessions, copy) == first.replace(ref, "KZ-2026-202")
    assert count(sessions, Target) == 3  # the prosecutor once, the keyless ambassador twice


def test_an_export_carries_every_language_and_internal_field_but_no_restricted_one(
    sessions: sessionmaker[Session],
) -> None:
    ref, _ = _import(sessions, document())
    exported = _export(sessions, ref)
    data = documents.load(exported)[0]
    assert data["title"] == {"en": "Journalist detained", "ru": "Журналист задержан", **KK}
    assert data["deadline"] == f"{DEADLINE:%Y-%m-%dT%H:%M}"
    assert data["internal"] == {"index": "IDX 9", "notes": "staff only"}
    assert data["targets"][0]["polite_name"] == {"ru": "Берик Нурланович"}
    assert data["asks"]["en"] == "Release her.\nLet her see a lawyer."
    assert "asks:\n  en: |-\n    Release her.\n" in exported  # a block, one ask per line
    assert "restricted" not in exported
    assert not any(canary in exported for canary in CANARIES.values())
    with sessions() as session:
        [person] = cases.get_case(session, ref).people
        assert (person.whereabouts, person.health) == (
            CANARIES["whereabouts"],
            CANARIES["health"],
        )


KK = {"kk": "Журналист ұсталды"}


def test_a_document_updates_the_active_case_with_its_reference(
    sessions: sessionmaker[Session],
) -> None:
    ref, _ = _import(sessions, document())
    with sessions.begin() as session:
        cases.publish(session, SYSTEM, ref)
    changed = document().replace("kk: Ол Алматыда ұсталды.", "kk: Ол Алматы қаласында ұсталды.")
    assert _import(sessions, changed) == (ref, False)
    with sessions() as session:
        case = cases.get_case(session, ref)
        assert case.status == "active"
        assert documents.export_document(case)["summary"]["kk"] == "Ол Алматы қаласында ұсталды."


# --- bad documents: the path, the line, and nothing written ------------------------------

# kind: (text replaced, its replacement), the path named, the line's text, words said
BAD = {
    "unknown field": (
        ("    pronoun: she\n", "    pronoun: she\n    nickname: Aika\n"),
        "people[1].nickname",
        "    nickname: Aika",
        "unknown field",
    ),
    "wrong type": (
        ("    age: 34\n", "    age: [34]\n"),
        "people[1].age",
        "    age: [34]",
        "expected a whole number, found a list",
    ),
    "unknown language": (
        ("  kk: Журналист ұсталды\n", "  kz: Журналист ұсталды\n"),
        "title.kz",
        "  kz: Журналист ұсталды",
        "unknown language 'kz'",
    ),
    "missing required field": (
        ("    title: Ambassador\n", ""),
        "targets[2].title",
        "  - key: null",
        "this field is required",
    ),
    "unknown pronoun": (
        ("    pronoun: she\n", "    pronoun: x\n"),
        "people[1].pronoun",
        "    pronoun: x",
        "unknown pronoun 'x'",
    ),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_a_bad_document_names_the_field_and_its_line_and_writes_nothing(
    sessions: sessionmaker[Session], kind: str
) -> None:
    (old, new), path, line_text, words = BAD[kind]
    assert old in document()
    text = document().replace(old, new, 1)
    line = text.splitlines().index(line_text) + 1
    before = dump(sessions)
    with pytest.raises(DocumentError) as refused:
        _import(sessions, text)
    assert (refused.value.path, refused.value.line) == (path, line)
    message = refused.value.message()
    assert message.startswith(f"line {line}: {path}: ") and words in message
    assert dump(sessions) == before


def test_restricted_fields_without_a_key_are_refused_and_nothing_is_written(
    sessions: sessionmaker[Session],
) -> None:
    keyring.configure([])
    before = dump(sessions)
    with pytest.raises(DocumentError) as refused:
        _import(sessions, document())
    assert refused.value.path == "people[1].restricted"
    assert "no key is configured" in refused.value.message()
    assert not any(canary in refused.value.message() for canary in CANARIES.values())
    assert dump(sessions) == before


def test_a_refusal_after_the_case_was_written_rolls_all_of_it_back(
    sessions: sessionmaker[Session],
) -> None:
    """The second target's e-mail is refused by the domain, after the case, its person and
    its first target were written in the same transaction: none of them stays."""
    text = document().replace("    email: null\n", "    email: not-an-address\n")
    with pytest.raises(DocumentError) as refused:
        _import(sessions, text)
    assert refused.value.path == "targets[2]"
    assert (count(sessions, Case), count(sessions, Person), count(sessions, Target)) == (0, 0, 0)


def test_a_closed_case_is_not_changed_by_a_document(sessions: sessionmaker[Session]) -> None:
    ref, _ = _import(sessions, document())
    with sessions.begin() as session:
        cases.publish(session, SYSTEM, ref)
        cases.close(session, SYSTEM, ref, "released", "She was released.")
    with pytest.raises(DocumentError) as refused:
        _import(sessions, document())
    assert refused.value.path == "ref" and "closed" in refused.value.message()


def test_json_is_read_as_the_same_document(sessions: sessionmaker[Session]) -> None:
    data: dict[str, Any] = documents.load(document())[0]
    ref, created = _import(sessions, json.dumps(data, ensure_ascii=False, indent=2))
    assert created and ref == "KZ-2026-201"


def test_the_format_documentation_shows_the_first_seed_case_as_shipped() -> None:
    text = (Path(__file__).parents[2] / "docs" / "CASE_FORMAT.md").read_text(encoding="utf-8")
    example = text.rsplit("```yaml\n", 1)[1].split("```", 1)[0]
    seed = resources.directory(resources.SEED_CASES) / "KZ-2026-001.yaml"
    assert example == seed.read_text(encoding="utf-8")
    documents.validate(*documents.load(example))
