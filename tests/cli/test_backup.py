"""`uabot db backup FILE`: SQLite's online backup, taken while another connection is in the
middle of writing, as the running bot would be; the copy opens as a uabot database."""

from __future__ import annotations

import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from bot.domain.demo import SEED_CASES
from bot.store.backup import BackupError, backup_sqlite
from bot.store.db import make_engine
from tests.cli.test_cli import Uabot, _refused


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Uabot:
    uabot = Uabot(tmp_path_factory.mktemp("backup"))
    uabot.ok("db", "upgrade")
    uabot.ok("demo", "load", "--subscribers", "50")
    return uabot


def test_a_backup_taken_during_a_write_holds_the_committed_data_and_opens_as_uabot(
    loaded: Uabot, tmp_path: Path
) -> None:
    target = tmp_path / "copy.sqlite3"
    with closing(sqlite3.connect(loaded.db)) as writer:
        writer.execute("BEGIN IMMEDIATE")  # uabot in the middle of a transaction
        writer.execute("DELETE FROM scopes")
        out = loaded.ok("db", "backup", str(target))
        writer.rollback()

    assert f"backup written to {target}" in out
    assert "integrity checked" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    copy = Uabot(tmp_path)
    copy.db = target
    assert (copy.count("cases"), copy.count("subscribers"), copy.count("scopes")) == (4, 50, 50)
    lines = copy.ok("cases", "list").splitlines()
    assert [line.split()[0] for line in lines] == [seed.ref for seed in SEED_CASES]
    assert list(tmp_path.glob(".*partial")) == []


def test_a_backup_never_overwrites_an_existing_file(loaded: Uabot, tmp_path: Path) -> None:
    target = tmp_path / "precious.sqlite3"
    target.write_bytes(b"yesterday's backup")

    line = _refused(loaded("db", "backup", str(target)))

    assert "already exists" in line
    assert target.read_bytes() == b"yesterday's backup"


def test_a_backup_into_a_missing_directory_is_refused_and_writes_nothing(
    loaded: Uabot, tmp_path: Path
) -> None:
    line = _refused(loaded("db", "backup", str(tmp_path / "nowhere" / "copy.sqlite3")))

    assert "does not exist" in line
    assert list(tmp_path.iterdir()) == []


def test_postgresql_is_pointed_at_pg_dump(tmp_path: Path) -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")

    with pytest.raises(BackupError) as refused:
        backup_sqlite(engine, tmp_path / "copy.sqlite3")

    assert refused.value.code == "backup_postgresql"
    assert list(tmp_path.iterdir()) == []
