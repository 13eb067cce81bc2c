"""pyproject.toml lists uabot's packages by hand (it maps templates/ and migrations/ into the
wheel): a new directory of code under bot/ must be listed, or the wheel would lack it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_directory_of_code_under_bot_is_a_listed_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapped = set(config["package-dir"])
    with_code = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "bot").rglob("*.py")
        if "__pycache__" not in path.parts
    }

    assert with_code - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - mapped - with_code == set(), "listed but holding no code"
    for package in mapped:
        assert (ROOT / config["package-dir"][package] / "__init__.py").is_file()
