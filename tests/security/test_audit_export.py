"""`uabot audit export`: every event as CSV or JSON Lines, public and internal fields only,
never a restricted value (not even one a faulty writer put in the trail)."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.config import Settings
from bot.domain import audit, cases
from bot.domain.reveal import reveal_person
from bot.store.models import AuditEvent, Person
from tests.conftest import TEST_KEY
from tests.domain.factories import COORDINATOR, PLAIN, draft, person

SECRETS = {f: f"EXPORT-SECRET-{f}" for f in Person.RESTRICTED}
INTERNAL = "EXPORT-INTERNAL-index"


def _uabot(db_url: str, *args: str) -> Result:
    env: dict[str, str | None] = {name: None for name in Settings.model_fields}
    env.update(DATABASE_URL=db_url, UABOT_SECRET_KEYS=TEST_KEY)
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def trail(sessions: sessionmaker[Session]) -> int:
    """A trail with every kind of event; returns how many events it holds."""
    with sessions.begin() as session:
        draft(session, "KZ-2026-701", internal_index=INTERNAL)
        cases.add_person(session, COORDINATOR, "KZ-2026-701", person("Ә", **SECRETS))
        cases.edit_person(session, COORDINATOR, "KZ-2026-701", 2, notes="EXPORT-SECRET-new")
        reveal_person(session, COORDINATOR, "KZ-2026-701", 2, private=True)
        draft(session, "KZ-2026-702")
        audit.record(session, PLAIN, "refused.publish", case_ref="KZ-2026-702", allowed=False)
        # A faulty writer of the future: a restricted value in clear in the trail itself.
        audit.record(
            session,
            COORDINATOR,
            "person.edit",
            case_ref="KZ-2026-701",
            entity="person",
            after={"health": "EXPORT-SECRET-leaked", "age": 40},
        )
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_export_holds_every_event_with_internal_fields_and_no_restricted_value(
    db_url: str, trail: int, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"audit.{fmt}"
    result = _uabot(db_url, "audit", "export", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"audit: {trail} events written as {fmt} to {out}"
    body = out.read_text(encoding="utf-8")
    assert "EXPORT-SECRET" not in body
    assert INTERNAL in body  # internal fields are for admins, and this file is theirs
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = _read(out, fmt)
    assert len(rows) == trail
    assert [r["action"] for r in rows][:4] == [
        "case.create",
        "person.add",
        "target.add",
        "person.add",
    ]
    leaked = next(r for r in rows if r["after"] and r["after"].get("age") == 40)
    assert leaked["after"]["health"] == "withheld"
    added = next(r for r in rows if r["action"] == "person.add" and r["after"]["name"] == "Ә")
    assert added["after"]["whereabouts"] == "set"
    print(f"\naudit export ({fmt}): {len(rows)} events, 0 restricted values")


def _read(path: Path, fmt: str) -> list[dict]:
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for side in ("before", "after"):
            row[side] = json.loads(row[side]) if row[side] else None
    return rows


def test_the_export_can_be_limited_to_one_case_and_is_itself_audited(
    db_url: str, trail: int, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    out = tmp_path / "one.jsonl"
    result = _uabot(
        db_url, "audit", "export", "--format", "jsonl", "--case", "kz-2026-702", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = _read(out, "jsonl")
    assert {r["case_ref"] for r in rows} == {"KZ-2026-702"}
    assert {r["action"] for r in rows} == {
        "case.create",
        "person.add",
        "target.add",
        "refused.publish",
    }
    with sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
    assert event.after == {"format": "jsonl", "events": len(rows)}


def test_a_failed_export_leaves_no_file_behind(db_url: str, trail: int, tmp_path: Path) -> None:
    out = tmp_path / "missing-dir" / "audit.csv"
    result = CliRunner().invoke(
        main,
        ["audit", "export", "--format", "csv", "--out", str(out)],
        env={**{n: None for n in Settings.model_fields}, "DATABASE_URL": db_url},
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: cannot write {out}: No such file or directory"
    assert not out.exists()
