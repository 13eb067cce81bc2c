"""Never leak: a canary in every restricted and internal field, and no letter in any format
(text, PDF text and metadata, .eml, mailto:, zip) contains one."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import letters as domain_letters
from bot.letters import export, service
from bot.store.models import Case, CaseEvent, Person
from tests.letters.conftest import CANARIES, COORDINATOR, EVENT_NOTE, INTERNAL, RESTRICTED, pdf_text

# Short, so the mailto: link exists and is searched too.
SHORT_BODY = "Free {{ people_names }}. {{ case.title }}, {{ case.summary }}, {{ target.name }}."


def _assert_clean(what: str, text: str) -> None:
    leaked = [canary for canary in CANARIES if canary in text]
    assert not leaked, f"{what} contains {leaked}"


def _readable(name: str, data: bytes) -> str:
    """What a person would read in the file: PDF text through pypdf, the rest as UTF-8."""
    return pdf_text(data) if name.endswith(".pdf") else data.decode("utf-8", "replace")


def test_the_canaries_are_really_in_the_store(
    sessions: sessionmaker[Session], case_ref: str
) -> None:
    """Guards the test below: a canary that never reached the store proves nothing."""
    with sessions() as session:
        people = session.scalars(select(Person).where(Person.name == "Әлия Үсенқызы")).one()
        assert {f: getattr(people, f) for f in RESTRICTED} == RESTRICTED
        case = session.scalars(select(Case)).one()
        assert {f: getattr(case, f) for f in INTERNAL} == INTERNAL
        notes = session.scalars(select(CaseEvent.internal_note)).all()
        assert EVENT_NOTE in notes


def test_no_letter_in_any_language_or_format_contains_a_canary(
    sessions: sessionmaker[Session], case_ref: str, tmp_path: Path
) -> None:
    with sessions.begin() as session:
        domain_letters.set_letter(session, COORDINATOR, case_ref, "en", SHORT_BODY)
    with sessions() as session:
        letters = service.export_letters(session, case_ref, signer="Айгерим")
        archive = service.export_zip(session, case_ref)
    assert {letter.lang for letter in letters} == {"kk", "ru", "en"}
    mailtos = [letter.mailto for letter in letters if letter.mailto is not None]
    assert mailtos, "the short English body must give mailto: links to search"
    for link in mailtos:
        _assert_clean("a mailto: link", link)
    paths = export.write_letters(letters, service.FORMATS, tmp_path / "out")
    assert len(paths) == len(letters) * 3
    for path in paths:
        _assert_clean(path.name, _readable(path.name, path.read_bytes()))
        _assert_clean(f"{path.name} (raw bytes)", path.read_bytes().decode("latin-1"))
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        assert len(zipped.namelist()) == len(paths)
        for name in zipped.namelist():
            _assert_clean(f"zip:{name}", _readable(name, zipped.read(name)))
