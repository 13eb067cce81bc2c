"""`uabot` as an operator runs it: the real console script against a SQLite file."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.demo import SEED_CASES

UABOT = Path(sys.executable).with_name("uabot")
REFS = [seed.ref for seed in SEED_CASES]


class Uabot:
    """Runs the console script in its own directory with DATABASE_URL pointing at `db`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.db = directory / "uabot.sqlite3"

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
        env["DATABASE_URL"] = f"sqlite:///{self.db}"
        return subprocess.run(
            [str(UABOT), *args],
            cwd=self.directory,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def count(self, table: str) -> int:
        with closing(sqlite3.connect(self.db)) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608

    def copy(self, directory: Path) -> Uabot:
        directory.mkdir()
        for path in self.directory.glob("uabot.sqlite3*"):
            shutil.copy(path, directory / path.name)
        return Uabot(directory)


def _refused(result: subprocess.CompletedProcess[str]) -> str:
    """A refusal: non-zero exit, one clear line on stderr, no traceback anywhere."""
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "no explanation printed"
    return lines[-1]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Uabot, list[str]]]:
    """`db upgrade`, then `demo load --subscribers 1000` twice; the outputs, in order."""
    uabot = Uabot(tmp_path_factory.mktemp("cli"))
    outputs = [
        uabot.ok("db", "upgrade"),
        uabot.ok("demo", "load", "--subscribers", "1000"),
        uabot.ok("demo", "load", "--subscribers", "1000"),
    ]
    yield uabot, outputs


@pytest.fixture(scope="module")
def published(
    loaded: tuple[Uabot, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Uabot, str]:
    uabot = loaded[0].copy(tmp_path_factory.mktemp("published") / "db")
    return uabot, uabot.ok("cases", "publish", REFS[0].lower())


def test_upgrade_and_loading_the_demo_twice_leaves_four_cases_and_1000_subscribers(
    loaded: tuple[Uabot, list[str]],
) -> None:
    uabot, (upgraded, first, second) = loaded
    assert "database at head" in upgraded
    assert "4 cases and 1000 subscribers added" in first
    assert "0 cases and 0 subscribers added" in second
    assert (uabot.count("cases"), uabot.count("subscribers")) == (4, 1000)
    assert uabot.count("scopes") == 1000


def test_cases_list_shows_one_line_per_seed_case_starting_with_its_reference(
    loaded: tuple[Uabot, list[str]],
) -> None:
    lines = loaded[0].ok("cases", "list").splitlines()
    assert len(lines) == 4
    for line, seed in zip(lines, SEED_CASES, strict=True):
        assert line.startswith(seed.ref + " ")
        assert "draft" in line and seed.title in line


def test_cases_show_prints_the_public_details_of_a_case(loaded: tuple[Uabot, list[str]]) -> None:
    output = loaded[0].ok("cases", "show", REFS[3])
    assert output.startswith(f"{REFS[3]}: Six women activists")
    assert "status:    draft" in output
    assert "Rakilja Beknazarova" in output
    assert "prosecutor-general@example.org" in output
    assert "[copy]" in output


def test_cases_show_in_a_language_prints_the_case_as_its_readers_get_it(
    loaded: tuple[Uabot, list[str]],
) -> None:
    output = loaded[0].ok("cases", "show", REFS[3], "--lang", "kk")
    assert output.startswith(f"{REFS[3]}: Наразылық ретінде шашын тақырлап алған алты белсенді")
    assert "Six women" not in output


def test_cases_publish_queues_the_alert_for_every_demo_subscriber(
    published: tuple[Uabot, str],
) -> None:
    uabot, output = published
    assert f"Published {REFS[0]}: alert queued for 1000 subscribers" in output
    assert uabot.count("alerts") == 1
    assert uabot.count("deliveries") == 1000


def test_publishing_twice_is_refused_with_one_line_and_changes_nothing(
    published: tuple[Uabot, str],
) -> None:
    uabot = published[0]
    line = _refused(uabot("cases", "publish", REFS[0]))
    assert f"Case {REFS[0]} is already published" in line
    assert (uabot.count("alerts"), uabot.count("deliveries")) == (1, 1000)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("cases", "show", "KZ-2026-999"), "There is no case KZ-2026-999"),
        (("cases", "publish"), "Missing argument 'REF'"),
    ],
    ids=["unknown-reference", "missing-argument"],
)
def test_bad_arguments_print_what_was_wrong_and_exit_non_zero(
    loaded: tuple[Uabot, list[str]], args: tuple[str, ...], expected: str
) -> None:
    assert expected in _refused(loaded[0](*args))


def test_retention_run_reports_its_counts_and_a_dry_run_changes_nothing(
    loaded: tuple[Uabot, list[str]], tmp_path: Path
) -> None:
    uabot = loaded[0].copy(tmp_path / "retention")
    before = uabot.count("audit_events")
    dry = uabot.ok("retention", "run", "--dry-run")
    assert dry.strip() == (
        "retention (dry run: nothing changed): 0 notice(s) to queue; restricted details to "
        "erase in 0 case(s): 0 person(s), 0 field(s)"
    )
    assert uabot.count("audit_events") == before
    real = uabot.ok("retention", "run")
    assert real.startswith("retention: 0 notice(s) queued; restricted details erased in 0")


def test_cases_export_then_import_round_trips_a_case_through_a_file(
    loaded: tuple[Uabot, list[str]], tmp_path: Path
) -> None:
    uabot = loaded[0].copy(tmp_path / "db")
    exported = tmp_path / "case.yaml"
    assert (
        f"Wrote {REFS[3]} to {exported}."
        in uabot("cases", "export", REFS[3], "--output", str(exported)).stderr
    )
    assert uabot.ok("cases", "export", REFS[3]) == exported.read_text(encoding="utf-8")

    copy = tmp_path / "copy.yaml"
    copy.write_text(exported.read_text(encoding="utf-8").replace(REFS[3], "KZ-2026-099"))
    assert uabot.ok("cases", "import", str(copy)).strip() == "Created KZ-2026-099 as a draft."
    assert uabot.ok("cases", "import", str(copy)).strip() == "Updated KZ-2026-099 (draft)."
    assert uabot.ok("cases", "export", "KZ-2026-099") == copy.read_text(encoding="utf-8")
    assert uabot.count("targets") == 3  # the officials are reused by key, not copied


def test_a_bad_document_is_refused_naming_the_file_line_and_field_and_changes_nothing(
    loaded: tuple[Uabot, list[str]], tmp_path: Path
) -> None:
    uabot = loaded[0].copy(tmp_path / "db")
    text = uabot.ok("cases", "export", REFS[3]).replace(REFS[3], "KZ-2026-098")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("pronoun: she", "pronoun: x", 1), encoding="utf-8")
    line = next(n for n, row in enumerate(bad.read_text().splitlines(), 1) if "pronoun: x" in row)

    refusal = _refused(uabot("cases", "import", str(bad)))
    assert refusal.startswith(f"Error: {bad}: line {line}: people[1].pronoun: unknown pronoun 'x'")
    assert uabot.count("cases") == 4
