"""`uabot keys generate|rotate`: make a Fernet key, re-encrypt restricted fields under the first.

Rotating, step by step:
  1. `uabot keys generate` prints a new key;
  2. put it first: UABOT_SECRET_KEYS=NEW,OLD, and restart the bot and the worker;
  3. `uabot keys rotate` re-encrypts every restricted value under NEW (rerun it if stopped:
     it skips what is done);
  4. remove OLD from UABOT_SECRET_KEYS and restart.
"""

from __future__ import annotations

import sys

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.store import restricted
from bot.store.crypto import generate_key, keyring


@click.group("keys")
def keys_group() -> None:
    """Encryption keys for restricted fields (UABOT_SECRET_KEYS)."""


@keys_group.command("generate")
def generate() -> None:
    """Print a new Fernet key (stdout) and how to roll it in (stderr)."""
    click.echo(generate_key())
    click.echo(
        "keys: put it first in UABOT_SECRET_KEYS (NEW,OLD), restart, run `uabot keys rotate`, "
        "then remove OLD",
        err=True,
    )


@keys_group.command("rotate")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=restricted.ROTATE_BATCH,
    show_default=True,
    help="Rows per transaction.",
)
@pass_runtime
def rotate(runtime: LazyRuntime, batch_size: int) -> None:
    """Re-encrypt every restricted value under the first key; resumable."""
    rt = runtime.get()
    if not keyring.configured:
        raise click.ClickException("UABOT_SECRET_KEYS is not set: there is no key to rotate to")
    total = restricted.count_rows(rt.engine)
    rotated = current = 0
    with click.progressbar(length=total, label="Re-encrypting", file=sys.stderr) as bar:
        try:
            for step in restricted.rotate(rt.sessions, batch_size):
                rotated += step.rotated
                current += step.current
                bar.update(step.rows)
        except restricted.UndecryptableValue as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(
        f"keys: {rotated} values re-encrypted, {current} already under the first key, "
        f"{total} rows checked"
    )
