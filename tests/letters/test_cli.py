"""`uabot letters export` as an operator runs it: a real process on a SQLite file made with
`uabot db upgrade && uabot demo load`. Bad input: one line, non-zero exit, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain import cases
from bot.domain.cases import PersonInput, TargetInput
from bot.letters import service
from bot.store.db import make_engine, make_session_factory
from tests.letters.conftest import COORDINATOR, make_case

UABOT = str(Path(sys.executable).with_name("uabot"))
NO_TARGETS = "KZ-2026-301"
RUSSIAN_ONLY = "KZ-2026-302"
CLOSED = "KZ-2026-303"
PEOPLE = (PersonInput(name="Дулат Ағадил", status="detained"),)
TARGET = TargetInput(title="Бас прокурор", name="Бас прокурор (illustrative)", country="KZ")


def uabot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [UABOT, *args], env=env, cwd=env["HOME"], capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{home / 'uabot.sqlite3'}"
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "DATABASE_URL": url}
    env["LOG_LEVEL"] = "WARNING"
    for command in (("db", "upgrade"), ("demo", "load")):
        assert uabot(env, *command).returncode == 0
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        make_case(session, NO_TARGETS, targets=(), people=PEOPLE, publish=False)
        make_case(session, RUSSIAN_ONLY, targets=(TARGET,), people=PEOPLE, languages=("ru",))
        make_case(session, CLOSED, targets=(TARGET,), people=PEOPLE)
        cases.close(session, COORDINATOR, CLOSED, "released", "Released on 1 March.")
    engine.dispose()
    yield env


def test_export_writes_every_target_language_and_format_signed_by_the_org(
    env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "letters"
    org = ("--org", "Qaharman Foundation", "--contact", "info@example.org")
    done = uabot(env, "letters", "export", "kz-2026-001", *org, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("letters: 6 letters as pdf, eml, txt in 18 file(s) under")
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 18
    assert names[0] == "KZ-2026-001_en_01_prosecutor-general.eml"
    text = (out / "KZ-2026-001_kk_02_minister-of-internal-affairs.txt").read_text("utf-8")
    assert text.rstrip().endswith(
        "Көшірмесі: Head of the Presidential Administration, Office of the President"
    )
    assert "Құрметпен,\nQaharman Foundation\ninfo@example.org" in text
    assert "KZ-2026-001" not in text  # the file's name has the reference, the letter not


def test_export_to_one_zip_in_one_language_and_format(env: dict[str, str], tmp_path: Path) -> None:
    done = uabot(
        env,
        "letters",
        "export",
        "KZ-2026-002",
        "--lang",
        "ru",
        "--format",
        "pdf",
        "--zip",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "KZ-2026-002-letters.zip") as archive:
        assert archive.namelist() == [
            "KZ-2026-002_ru_01_prosecutor-general.pdf",
            "KZ-2026-002_ru_02_minister-of-internal-affairs.pdf",
        ]


BAD_INPUT = {
    "no-targets": (
        ("export", NO_TARGETS),
        f"Error: Case {NO_TARGETS} has no primary target to write to: add one first.",
    ),
    "closed-case": (
        ("export", CLOSED),
        f"Error: The urgent action {CLOSED} has ended: no further appeals or actions are "
        f"requested on it. Thank you for your support. /case {CLOSED} shows how it ended.",
    ),
    "no-letter-in-language": (
        ("export", RUSSIAN_ONLY, "--lang", "en"),
        f"Error: Case {RUSSIAN_ONLY} has no letter in en; it has letters in: ru.",
    ),
    "unknown-format": (
        ("export", "KZ-2026-001", "--format", "docx"),
        'Error: Unknown letter format "docx": use pdf, eml, txt, all.',
    ),
    "unknown-case": (
        ("export", "KZ-2026-999"),
        "Error: There is no case KZ-2026-999. Send /cases to see the active ones.",
    ),
    "body-reaching-internal-notes": (
        ("set", RUSSIAN_ONLY, "ru", "-"),
        f"Error: The ru letter for {RUSSIAN_ONLY} was not saved: 'PublicCase object' has no "
        "attribute 'internal_notes' (line 2). A letter may use only: case, target, people, "
        "people_names, plural, pronoun, salutation, date, deadline, country, signature, "
        "signer, asks, copies, lang.",
    ),
}
BAD_BODY = "Прошу освободить {{ people_names }}.\n{{ case.internal_notes }}"


@pytest.fixture(scope="module")
def bad_runs(
    env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[int, str, str, Path]]:
    """Every bad-input run started at once: each is a second of interpreter start-up."""
    outs = {name: tmp_path_factory.mktemp(name) / "letters" for name in BAD_INPUT}
    running = {
        name: subprocess.Popen(
            [UABOT, "letters", *args, *(["--out", str(outs[name])] if "export" in args else [])],
            env=env,
            cwd=env["HOME"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (args, _) in BAD_INPUT.items()
    }
    results = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(BAD_BODY, timeout=60)
        results[name] = (process.returncode, stdout, stderr, outs[name])
    return results


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_is_one_line_a_non_zero_exit_and_nothing_written(
    bad_runs: dict[str, tuple[int, str, str, Path]], name: str
) -> None:
    returncode, stdout, stderr, out = bad_runs[name]
    assert (returncode, stdout, stderr.strip()) == (1, "", BAD_INPUT[name][1])
    assert not out.exists()


def test_a_coordinators_body_set_from_the_command_line_is_used_in_letters(
    env: dict[str, str],
) -> None:
    body = "Прошу освободить {{ people_names }}. Срок: {{ deadline }}."
    saved = subprocess.run(
        [UABOT, "letters", "set", RUSSIAN_ONLY, "ru", "-"],
        input=body,
        env=env,
        cwd=env["HOME"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (saved.returncode, saved.stdout) == (0, f"letters: ru body saved for {RUSSIAN_ONLY}\n")
    engine = make_engine(env["DATABASE_URL"])
    with make_session_factory(engine)() as session:
        (letter,) = service.letters_for(session, RUSSIAN_ONLY, "ru")
    engine.dispose()
    assert "Прошу освободить Дулат Ағадил. Срок: " in letter.text


def test_an_output_directory_that_cannot_be_written_is_one_line_and_nothing_written(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "letters"
    done = uabot(env, "letters", "export", "KZ-2026-001", "--out", str(out))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.strip() == (
        f"Error: Cannot write letters to {out} (Not a directory); nothing was written."
    )
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]
