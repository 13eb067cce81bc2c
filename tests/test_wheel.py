"""`make test` checks the product, not the checkout: tests/wheel_check.py builds the wheel,
installs it into a fresh virtualenv and uses it there; and the check itself fails, naming the
file, when a template is left out of the wheel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import wheel_check
from tests.wheel_check import WheelCheckFailed

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("wheel")


@pytest.fixture(scope="module")
def venv_python(work: Path) -> Path:
    wheel = wheel_check.build_wheel(wheel_check.copy_source(work / "src"), work / "dist")
    python = wheel_check.make_venv(work / "venv")
    wheel_check.install(wheel, python)
    return python


def test_the_installed_wheel_migrates_loads_the_demo_exports_letters_and_answers_in_the_sandbox(
    venv_python: Path, work: Path
) -> None:
    out = wheel_check.check_installed(venv_python, work / "run")

    assert "database at head" in out["db upgrade"]
    assert "4 cases" in out["demo load"]
    assert "as pdf" in out["letters export"]
    assert out["sandbox"].strip()


def _leave_html_templates_out(source: Path) -> None:
    pyproject = source / "pyproject.toml"
    text = pyproject.read_text()
    assert '"**/*.html", ' in text
    pyproject.write_text(text.replace('"**/*.html", ', ""))


def test_the_check_fails_naming_the_template_a_wheel_leaves_out(
    venv_python: Path, work: Path
) -> None:
    source = wheel_check.copy_source(work / "broken-src", edit=_leave_html_templates_out)
    broken = wheel_check.build_wheel(source, work / "broken-dist")
    wheel_check.install(broken, venv_python, deps=False)

    with pytest.raises(WheelCheckFailed) as failed:
        wheel_check.check_installed(venv_python, work / "broken-run")

    message = str(failed.value)
    assert "the wheel lacks files" in message
    assert "bot.templates/ui/bot/start.html" in message
    assert "bot.templates/ui/buttons.txt" not in message  # .txt files still ship
