"""The database never holds a restricted value in clear: read back with plain SQL, every
restricted column holds Fernet ciphertext, and no cell of any table holds the plaintext."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.store.models import Base, Person
from bot.store.restricted import restricted_tables
from bot.store.types import RestrictedText
from tests.conftest import TEST_KEY
from tests.domain.factories import COORDINATOR, NOW, active, draft, person
from tests.security.conftest import scan_raw

# Cyrillic and Kazakh letters, markup and quotes: the kinds of text a coordinator types.
PLAIN = {
    "whereabouts": "SECRET-whereabouts СИЗО-1, Алматы, камера 17",
    "family_contacts": "SECRET-family +7 701 555 0101 (Әлия)",
    "sources": "SECRET-sources cousin <b>at</b> the 'ministry'",
    "health": "SECRET-health untreated fracture; needs insulin",
    "notes": "SECRET-notes do not publish & do not forward",
}


def _plant(sessions: sessionmaker[Session]) -> None:
    """Restricted values written both ways the domain writes them: on add and on edit."""
    with sessions.begin() as session:
        active(session, "KZ-2026-301")
        cases.add_person(session, COORDINATOR, "KZ-2026-301", person("Added", **PLAIN))
        draft(session, "KZ-2026-302")
        edited = {field: value.replace("SECRET", "EDITED") for field, value in PLAIN.items()}
        cases.edit_person(session, COORDINATOR, "KZ-2026-302", 1, **edited)
        cases.further_information(
            session, COORDINATOR, "KZ-2026-301", "Moved to another prison.", now=NOW
        )


def test_the_restricted_columns_are_found_from_the_models() -> None:
    """The scan below covers whatever is typed RestrictedText, today Person's five fields."""
    found = {(t.name, c) for t in restricted_tables() for c in t.columns}
    assert found == {("people", field) for field in Person.RESTRICTED}
    typed = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, RestrictedText)
    }
    assert typed == found


def test_every_restricted_column_holds_only_ciphertext_in_the_raw_table(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _plant(sessions)
    fernet = Fernet(TEST_KEY.encode())
    checked = 0
    with engine.connect() as conn:
        for spec in restricted_tables():
            columns = ", ".join(f'"{c}"' for c in spec.columns)
            rows = conn.execute(text(f'SELECT {columns} FROM "{spec.name}"')).all()  # noqa: S608
            for row in rows:
                for column, stored in zip(spec.columns, row, strict=True):
                    if stored is None:
                        continue
                    checked += 1
                    assert stored.startswith("gAAAAA"), f"{spec.name}.{column} is not a token"
                    clear = fernet.decrypt(stored.encode()).decode()
                    assert clear not in stored
                    assert "SECRET" not in stored and "EDITED" not in stored
    assert checked == 2 * len(PLAIN)
    print(f"\nciphertext: {checked} restricted values read with plain SQL, all Fernet tokens")


def test_no_cell_of_any_table_holds_a_restricted_value_in_clear(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _plant(sessions)
    needles = [*PLAIN.values(), *(v.replace("SECRET", "EDITED") for v in PLAIN.values())]
    needles += ["SECRET-", "EDITED-", "СИЗО-1", "insulin"]
    scan = scan_raw(engine, needles)
    assert scan.hits == []
    assert scan.cells > 100
    print(f"\nraw scan: {scan.cells} cells of every table, 0 restricted values in clear")
