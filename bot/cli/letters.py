"""`uabot letters export|set`: appeal letters as files for an NGO, and a case's own body."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.domain import letters as domain_letters
from bot.domain.staff import SYSTEM
from bot.letters import export, service
from bot.letters.export import Progress
from bot.letters.sender import Signer

# Below this many files the export is over before a bar would be worth drawing.
PROGRESS_FROM = 12


@click.group("letters")
def letters_group() -> None:
    """Appeal letters per target and language: text, PDF, e-mail."""


@contextmanager
def _progress(total: int) -> Iterator[Progress | None]:
    if total < PROGRESS_FROM:
        yield None
        return
    with click.progressbar(length=total, label="Writing letters", file=sys.stderr) as bar:
        yield bar.update


@letters_group.command("export")
@click.argument("ref")
@click.option("--lang", "langs", multiple=True, help="Only this language (repeatable).")
@click.option("--format", "fmt", default="all", show_default=True, help="pdf, eml, txt or all.")
@click.option(
    "--org", default=None, help='The organisation that signs, e.g. "Qaharman Foundation".'
)
@click.option(
    "--contact", default=None, help="Under the organisation's name: its address, e-mail or phone."
)
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Directory.")
@click.option("--zip", "as_zip", is_flag=True, help="One archive, REF-letters.zip.")
@pass_runtime
def export_command(
    runtime: LazyRuntime,
    ref: str,
    langs: tuple[str, ...],
    fmt: str,
    org: str | None,
    contact: str | None,
    out_dir: Path,
    as_zip: bool,
) -> None:
    """One file per primary target, language and format, written atomically into --out.
    Signed by --org; without it, each letter leaves lines to sign and name by hand."""
    started = time.perf_counter()
    formats = service.parse_formats(fmt)
    if contact and not org:
        raise click.UsageError("--contact is the organisation's line: give --org too.")
    signer = Signer.of(org=org, contact=contact)
    with runtime.transaction() as session:
        letters = service.export_letters(session, ref, langs, signer, drafts=True)
    zip_name = service.zip_name(ref) if as_zip else None
    with export.staging(out_dir) as stage, _progress(len(letters) * len(formats)) as progress:
        paths = stage.write(letters, formats, zip_name=zip_name, progress=progress)
    click.echo(
        f"letters: {len(letters)} letters as {', '.join(formats)} in {len(paths)} file(s) "
        f"under {out_dir} in {time.perf_counter() - started:.2f}s"
    )


@letters_group.command("set")
@click.argument("ref")
@click.argument("lang")
@click.argument("body_file", type=click.File("r", encoding="utf-8"))
@pass_runtime
def set_command(runtime: LazyRuntime, ref: str, lang: str, body_file: TextIO) -> None:
    """The case's own body in LANG from a file (- for stdin), checked before it is saved."""
    with runtime.transaction() as session:
        row = domain_letters.set_letter(session, SYSTEM, ref, lang, body_file.read())
        click.echo(f"letters: {row.language} body saved for {row.case.ref}")
