"""`uabot audit export`: the audit trail for admins, as CSV or JSON Lines.

Public and internal fields only: restricted values never reach the audit table (they are
recorded as "set" or "changed"), and the export checks that again on its way out. The file
is written beside its destination and moved into place, readable by its owner only.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli.context import LazyRuntime, pass_runtime
from bot.domain import audit
from bot.domain.cases import normalise_ref
from bot.domain.staff import SYSTEM
from bot.store.models import AuditEvent, Person

FIELDS = ("id", "at", "actor_id", "action", "case_ref", "entity", "entity_id", "allowed")
# What a restricted field may read in an audit event: whether it holds anything.
MARKERS = (None, "set", audit.CHANGED)
WITHHELD = "withheld"


@click.group("audit")
def audit_group() -> None:
    """The audit trail: every staff act, reveal and refusal."""


def _scrubbed(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Belt and braces: a restricted field holding anything but a marker is withheld."""
    if values is None:
        return None
    return {
        k: WITHHELD if k in Person.RESTRICTED and v not in MARKERS else v for k, v in values.items()
    }


def _rows(session: Session, ref: str | None) -> Iterator[dict[str, Any]]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if ref is not None:
        stmt = stmt.where(AuditEvent.case_ref == ref)
    for event in session.scalars(stmt.execution_options(yield_per=1000)):
        row: dict[str, Any] = {name: getattr(event, name) for name in FIELDS}
        row["at"] = event.at.isoformat()
        row["before"] = _scrubbed(event.before)
        row["after"] = _scrubbed(event.after)
        yield row


def _write(rows: Iterator[dict[str, Any]], fmt: str, out: TextIO) -> int:
    count = 0
    if fmt == "jsonl":
        for count, row in enumerate(rows, start=1):  # noqa: B007 - the count is the result
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        return count
    writer = csv.DictWriter(out, fieldnames=[*FIELDS, "before", "after"])
    writer.writeheader()
    for count, row in enumerate(rows, start=1):  # noqa: B007
        for side in ("before", "after"):
            if row[side] is not None:
                row[side] = json.dumps(row[side], ensure_ascii=False, sort_keys=True)
        writer.writerow(row)
    return count


@contextmanager
def _output(path: Path) -> Iterator[TextIO]:
    """stdout for "-"; otherwise a private temporary file renamed over `path` when complete."""
    if str(path) == "-":
        yield sys.stdout
        return
    path = path.resolve()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".uabot-audit-", dir=path.parent)  # mode 0600
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@audit_group.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), required=True, help="File format."
)
@click.option("--case", "ref", default=None, help="Only this case's events.")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File, or -."
)
@pass_runtime
def export(runtime: LazyRuntime, fmt: str, ref: str | None, out: Path) -> None:
    """Every audit event, oldest first (public and internal fields only)."""
    ref = normalise_ref(ref) if ref else None
    with runtime.transaction() as session, _output(out) as stream:
        count = _write(_rows(session, ref), fmt, stream)
        # Reading the trail is itself worth a line in it.
        audit.record(
            session, SYSTEM, "audit.export", case_ref=ref, after={"format": fmt, "events": count}
        )
    click.echo(f"audit: {count} events written as {fmt} to {out}", err=str(out) == "-")
