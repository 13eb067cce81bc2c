"""Keys: `uabot keys generate`, `uabot keys rotate` (old key removed afterwards: everything
still readable; an interrupted rotation resumes), and no start without the right key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.config import Settings
from bot.domain import cases
from bot.store import restricted
from bot.store.crypto import generate_key, keyring
from bot.store.models import Person
from tests.conftest import TEST_KEY
from tests.domain.factories import COORDINATOR, draft, person

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 7


def _uabot(db_url: str, *args: str, keys: str | None) -> Result:
    """The CLI in this process, with only the settings given here (no outer .env or env)."""
    env = {name: None for name in Settings.model_fields}
    env["DATABASE_URL"] = db_url
    if keys is not None:
        env["UABOT_SECRET_KEYS"] = keys
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def _people(sessions: sessionmaker[Session], count: int = PEOPLE) -> dict[int, str]:
    """`count` people with all five restricted fields; returns position → whereabouts."""
    with sessions.begin() as session:
        draft(session, "KZ-2026-401", ready=False)
        for n in range(1, count + 1):
            fields = {f: f"{f}-{n}-Алматы" for f in Person.RESTRICTED}
            cases.add_person(session, COORDINATOR, "KZ-2026-401", person(f"P{n}", **fields))
    return {n: f"whereabouts-{n}-Алматы" for n in range(1, count + 1)}


def _tokens(engine: Engine) -> list[str]:
    columns = ", ".join(Person.RESTRICTED)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {columns} FROM people")).all()  # noqa: S608
    return [value for row in rows for value in row if value is not None]


def _opens_with(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def _read_all(sessions: sessionmaker[Session]) -> dict[int, str | None]:
    with sessions() as session:
        people = session.scalars(select(Person).order_by(Person.position)).all()
        for p in people:
            assert all(getattr(p, f) for f in Person.RESTRICTED)
        return {p.position: p.whereabouts for p in people}


def test_generate_prints_one_fernet_key_and_how_to_roll_it_in() -> None:
    result = CliRunner().invoke(main, ["keys", "generate"])
    assert result.exit_code == 0
    key = result.stdout.strip()
    Fernet(key.encode())  # a valid key
    assert "uabot keys rotate" in result.stderr
    assert CliRunner().invoke(main, ["keys", "generate"]).stdout.strip() != key


def test_after_rotating_the_old_key_can_be_removed_and_everything_is_still_readable(
    sessions: sessionmaker[Session], engine: Engine, db_url: str
) -> None:
    expected = _people(sessions)
    new = generate_key()

    result = _uabot(db_url, "keys", "rotate", "--batch-size", "3", keys=f"{new},{TEST_KEY}")

    assert result.exit_code == 0, result.output
    assert f"{PEOPLE * 5} values re-encrypted, 0 already under the first key" in result.stdout
    tokens = _tokens(engine)
    assert len(tokens) == PEOPLE * 5
    assert all(_opens_with(new, t) and not _opens_with(TEST_KEY, t) for t in tokens)
    keyring.configure([new])  # the old key is gone
    assert _read_all(sessions) == expected
    print(f"\nrotation: {len(tokens)} values re-encrypted; readable with the new key alone")


def test_an_interrupted_rotation_resumes_where_it_stopped(
    sessions: sessionmaker[Session], engine: Engine, db_url: str
) -> None:
    expected = _people(sessions)
    new = generate_key()
    keyring.configure([new, TEST_KEY])
    steps = restricted.rotate(sessions, batch=2)
    first = next(steps)
    steps.close()  # the operator's Ctrl-C after one committed batch
    assert (first.rows, first.rotated) == (2, 10)
    tokens = _tokens(engine)
    assert sum(_opens_with(new, t) for t in tokens) == 10
    assert sum(_opens_with(TEST_KEY, t) for t in tokens) == PEOPLE * 5 - 10

    result = _uabot(db_url, "keys", "rotate", "--batch-size", "2", keys=f"{new},{TEST_KEY}")

    assert result.exit_code == 0, result.output
    assert f"{PEOPLE * 5 - 10} values re-encrypted, 10 already under the first key" in (
        result.stdout
    )
    keyring.configure([new])
    assert _read_all(sessions) == expected
    again = _uabot(db_url, "keys", "rotate", keys=new)
    assert f"0 values re-encrypted, {PEOPLE * 5} already under the first key" in again.stdout


def test_rotating_with_a_keyring_that_cannot_open_the_data_stops_with_one_line(
    sessions: sessionmaker[Session], db_url: str, engine: Engine
) -> None:
    _people(sessions, 2)
    before = _tokens(engine)
    result = _uabot(db_url, "keys", "rotate", keys=generate_key())
    assert result.exit_code == 1
    assert "opens with none of UABOT_SECRET_KEYS" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error:")
    assert _tokens(engine) == before


@pytest.mark.parametrize("command", [["run"], ["worker", "--until-idle"]])
def test_with_restricted_data_and_no_key_uabot_refuses_to_start_with_one_line(
    sessions: sessionmaker[Session], db_url: str, command: list[str]
) -> None:
    _people(sessions, 1)
    result = _uabot(db_url, *command, keys=None)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "Error: configuration error: UABOT_SECRET_KEYS is not set, but the database holds "
        "restricted data; set the key(s) it was written with (never a new one)"
    ]
    wrong = _uabot(db_url, *command, keys=generate_key())
    assert wrong.exit_code == 1
    assert "cannot decrypt the restricted data" in wrong.stderr


def test_without_restricted_data_no_key_is_needed_to_start(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, "KZ-2026-402")  # people, but no restricted field set
    keyring.configure([])
    with sessions() as session:
        assert restricted.key_problem(session) is None


def test_the_console_script_refuses_without_a_traceback(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    """The real process, as an operator starts it: exit 1, one line on stderr."""
    if not db_url.startswith("sqlite"):
        pytest.skip("one real process is enough; the in-process tests cover PostgreSQL")
    _people(sessions, 1)
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env.update(DATABASE_URL=db_url, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "run"],
        env=env,
        cwd=tmp_path,  # no .env here
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: configuration error: UABOT_SECRET_KEYS is not set, but the database holds "
        "restricted data; set the key(s) it was written with (never a new one)"
    ]
