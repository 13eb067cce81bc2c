"""The files uabot ships beside its code, found through the import system.

The repository keeps `templates/` and `migrations/` at its top; the wheel maps them into
the package as `bot.templates` and `bot.migrations` (pyproject.toml, `[tool.setuptools]`),
and the editable install maps them the same way. Code asks `importlib.resources` for
them, so an installed uabot never looks for a git checkout. `SHIPPED` lists every resource
`make test`'s wheel check (tests/wheel_check.py) expects to find in an installed wheel.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# (package, directory inside it): a resource directory belongs to a regular package.
Resource = tuple[str, str]
TEMPLATES: Resource = ("bot.templates", "")
MIGRATIONS: Resource = ("bot.migrations", "")
WEB_STATIC: Resource = ("bot.sandbox.web", "static")
SAMPLE_FEEDS: Resource = ("bot.sandbox", "sample_feeds")
LETTERS: Resource = ("bot.letters", "")  # mail.html, the one-tap e-mail page
LOCALES: Resource = ("bot", "locales")  # gettext catalogs: .po, and .mo that `make` compiles
SEED_CASES: Resource = ("bot", "seed")  # the demo's four case documents (YAML)

# resource -> files (relative to it) that must be there; one per kind is enough to catch a
# pattern left out of pyproject.toml's package-data.
SHIPPED: dict[Resource, tuple[str, ...]] = {
    TEMPLATES: (
        "ui/bot/start.html",
        "ui/buttons.txt",
        "ui/alerts/new.html",
        "letters/ru/letter.txt",
        "letters/kk/letter.txt",
    ),
    LOCALES: (
        "ru/LC_MESSAGES/uabot.po",
        "kk/LC_MESSAGES/uabot.po",
        "ru/LC_MESSAGES/uabot.mo",
        "kk/LC_MESSAGES/uabot.mo",
    ),
    MIGRATIONS: ("env.py", "script.py.mako", "versions/0001_initial_schema.py"),
    WEB_STATIC: ("index.html", "chat.js", "chat.css", "favicon.svg"),
    SAMPLE_FEEDS: ("kz-monitor.xml",),
    SEED_CASES: ("KZ-2026-001.yaml",),
    LETTERS: ("mail.html",),
}


class ResourceMissing(RuntimeError):
    """A shipped directory is not where the package says: a broken or zipped install."""


def name(resource: Resource) -> str:
    package, sub = resource
    return f"{package}/{sub}" if sub else package


def directory(resource: Resource) -> Path:
    """A resource directory as a real path: Jinja's and Alembic's loaders, and aiohttp's
    static files, need one (pip installs a wheel unzipped)."""
    package, sub = resource
    try:
        root = files(package)
    except ModuleNotFoundError:
        raise ResourceMissing(f"{name(resource)} is not installed with uabot") from None
    found = root / sub if sub else root
    if not isinstance(found, Path) or not found.is_dir():
        raise ResourceMissing(f"{name(resource)} is not a directory on disk: {found}")
    return found


def missing() -> list[str]:
    """Every file of `SHIPPED` that this installation lacks, as `package/dir/file`."""
    absent: list[str] = []
    for resource, paths in SHIPPED.items():
        try:
            root = directory(resource)
        except ResourceMissing:
            absent.extend(f"{name(resource)}/{path}" for path in paths)
            continue
        absent.extend(f"{name(resource)}/{path}" for path in paths if not (root / path).is_file())
    return absent
