"""`uabot cases list|show|publish|import|export`."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.domain import actions, cases, documents
from bot.domain.staff import SYSTEM
from bot.domain.views import case_line, public_case
from bot.languages import LANGUAGES
from bot.store.models import CASE_STATUSES
from bot.texts import render


@click.group("cases")
def cases_group() -> None:
    """Urgent-action cases."""


@cases_group.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(CASE_STATUSES),
    help="Only cases with this status (repeatable). Default: all.",
)
@pass_runtime
def list_cases(runtime: LazyRuntime, statuses: tuple[str, ...]) -> None:
    """One line per case, starting with its reference."""
    with runtime.transaction() as session:
        rows = cases.list_cases(session, statuses=statuses or CASE_STATUSES, limit=10_000)
        for case in rows:
            click.echo(render("cli/case_line.txt", case=case_line(case)))


@cases_group.command("show")
@click.argument("ref")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="The case's texts in this language (the nearest there is). Default: its original.",
)
@pass_runtime
def show(runtime: LazyRuntime, ref: str, lang: str | None) -> None:
    """Public and internal details of one case (never restricted fields)."""
    with runtime.transaction() as session:
        case = cases.get_case(session, ref)
        stats = actions.case_stats(session, case.ref)
        click.echo(
            render(
                "cli/case_show.txt",
                case=public_case(case, lang),
                stats=stats,
                internal_index=case.internal_index,
            )
        )


@cases_group.command("publish")
@click.argument("ref")
@pass_runtime
def publish(runtime: LazyRuntime, ref: str) -> None:
    """Publish a draft: the same alert and fan-out as the bot's /publish."""
    with runtime.transaction() as session:
        alert = cases.publish(session, SYSTEM, ref)
        click.echo(
            render("cli/published.txt", ref=cases.normalise_ref(ref), recipients=alert.recipients)
        )


@cases_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_runtime
def import_case(runtime: LazyRuntime, file: Path) -> None:
    """Create a draft from a case document (YAML or JSON), or update the draft or active
    case with its reference; a bad document changes nothing (docs/CASE_FORMAT.md)."""
    data, lines = _read(file)
    try:
        with runtime.transaction() as session:
            case, created = documents.import_document(session, SYSTEM, data, lines)
            ref, status = case.ref, case.status
    except documents.DocumentError as exc:
        raise click.ClickException(f"{file}: {exc.message()}") from None
    click.echo(render("cli/imported.txt", ref=ref, status=status, created=created))


def _read(file: Path) -> tuple[object, dict[str, int]]:
    try:
        return documents.load(file.read_text(encoding="utf-8"))
    except documents.DocumentError as exc:
        raise click.ClickException(f"{file}: {exc.message()}") from None
    except UnicodeDecodeError:
        raise click.ClickException(render("cli/not_utf8.txt", file=str(file))) from None


@cases_group.command("export")
@click.argument("ref")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the document to this file instead of standard output.",
)
@pass_runtime
def export_case(runtime: LazyRuntime, ref: str, output: Path | None) -> None:
    """Write a case as a document (YAML): every public and internal field in every
    language; restricted fields never."""
    with runtime.transaction() as session:
        text = documents.dump(documents.export_document(cases.get_case(session, ref)))
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(render("cli/exported.txt", ref=cases.normalise_ref(ref), file=str(output)), err=True)
