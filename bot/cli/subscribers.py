"""`uabot subscribers erase CHAT_ID`: /stop on someone's behalf, for a request made elsewhere."""

from __future__ import annotations

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.domain import audit, subscriptions
from bot.domain.staff import SYSTEM


@click.group("subscribers")
def subscribers_group() -> None:
    """Subscribers: the chats that receive alerts."""


@subscribers_group.command("erase")
@click.argument("chat_id", type=int)
@pass_runtime
def erase(runtime: LazyRuntime, chat_id: int) -> None:
    """Forget a chat: its id, language, scopes and pending deliveries (actions stay as counts)."""
    with runtime.transaction() as session:
        erased = subscriptions.erase(session, chat_id)
        # Recorded without the chat id: the record of an erasure must not undo it.
        audit.record(
            session, SYSTEM, "subscriber.erase", entity="subscriber", after={"erased": erased}
        )
    if erased:
        click.echo("subscribers: erased (chat id, language, scopes, pending deliveries)")
    else:
        click.echo("subscribers: no subscriber with that chat id; nothing to erase")
