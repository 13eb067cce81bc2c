"""The demo's four case documents (bot/seed/*.yaml) as files: complete in every language,
illustrative only. Loading them into the database is the importer's business (and its tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import resources
from bot.domain import translations
from bot.languages import LANGUAGES

REFS = ["KZ-2026-001", "KZ-2026-002", "KZ-2026-003", "KZ-2026-004"]
SEED = resources.directory(resources.SEED_CASES)
EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
KAZAKH_ONLY = re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІі]")
# Targets are shared between cases by key: only these differ from one case to the next.
PER_CASE_TARGET_KEYS = {"role", "asks"}


def _paths() -> list[Path]:
    return sorted(SEED.glob("*.yaml"))


@cache  # parsed once: pure-Python YAML takes a tenth of a second a file
def _documents() -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in _paths()]


def _translatable(doc: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(path, value) of every text the case-document format lets a language translate."""
    for field in translations.CASE_FIELDS:
        if field in doc:
            yield field, doc[field]
    for n, person in enumerate(doc.get("people") or [], 1):
        for field in translations.PERSON_FIELDS:
            if person.get(field) is not None:
                yield f"people[{n}].{field}", person[field]
    for n, target in enumerate(doc.get("targets") or [], 1):
        for field in (*translations.TARGET_FIELDS, *translations.LINK_FIELDS):
            if target.get(field) is not None:
                yield f"targets[{n}].{field}", target[field]


def test_there_are_four_documents_one_per_seed_ref() -> None:
    docs = _documents()
    assert [path.stem for path in _paths()] == REFS
    assert [doc["ref"] for doc in docs] == REFS
    assert {(doc["format"], doc["country"], doc["status"]) for doc in docs} == {
        ("uabot-case/1", "KZ", "draft")
    }


@pytest.mark.parametrize("ref", REFS)
def test_every_translatable_field_has_en_ru_and_kk_non_empty(ref: str) -> None:
    [doc] = [doc for doc in _documents() if doc["ref"] == ref]
    fields = dict(_translatable(doc))
    assert {"title", "summary", "background", "asks", "people[1].name"} <= fields.keys()
    for path, value in fields.items():
        assert isinstance(value, dict), path
        assert sorted(value) == sorted(LANGUAGES), path
        assert all(isinstance(text, str) and text.strip() for text in value.values()), path


def test_each_language_is_written_in_its_own_script() -> None:
    for doc in _documents():
        for path, value in _translatable(doc):
            assert not CYRILLIC.search(value["en"]), (doc["ref"], path)
            assert CYRILLIC.search(value["ru"]), (doc["ref"], path)
            assert CYRILLIC.search(value["kk"]), (doc["ref"], path)
        for field in translations.CASE_FIELDS:
            assert KAZAKH_ONLY.search(doc[field]["kk"]), (doc["ref"], field)


def test_asks_have_the_same_number_of_lines_in_every_language() -> None:
    for doc in _documents():
        asks = [doc["asks"], *(t["asks"] for t in doc["targets"] if t.get("asks"))]
        for texts in asks:
            counts = {lang: len(text.splitlines()) for lang, text in texts.items()}
            assert len(set(counts.values())) == 1, (doc["ref"], counts)
            assert all(line.strip() for text in texts.values() for line in text.splitlines())


def test_each_target_has_a_key_and_reads_the_same_in_every_case() -> None:
    by_key: dict[str, dict[str, Any]] = {}
    for doc in _documents():
        assert doc["targets"], doc["ref"]
        for target in doc["targets"]:
            assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", target.get("key") or ""), target
            shared = {k: v for k, v in target.items() if k not in PER_CASE_TARGET_KEYS}
            assert by_key.setdefault(target["key"], shared) == shared, (doc["ref"], target["key"])
    assert set(by_key) == {
        "kz-prosecutor-general",
        "kz-interior-minister",
        "kz-presidential-administration",
    }


def test_no_e_mail_address_outside_example_org() -> None:
    for path in _paths():
        domains = set(EMAIL.findall(path.read_text(encoding="utf-8")))
        assert domains == {"example.org"}, path.name
    for doc in _documents():
        assert all(t["email"].endswith("@example.org") for t in doc["targets"]), doc["ref"]


def test_no_restricted_or_internal_data_and_no_fixed_deadline() -> None:
    for doc in _documents():
        assert "internal" not in doc and doc.get("deadline") is None, doc["ref"]
        assert not any("restricted" in person for person in doc["people"]), doc["ref"]
