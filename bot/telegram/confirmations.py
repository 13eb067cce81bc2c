"""Every "Confirm" in the bot: a preview's button sends exactly what it previewed, or nothing.

A confirmation is bound to
- the content it previewed (the request is kept whole; the tap carries only a random token,
  so no tap can send other text),
- its kind and case: a newer preview of the same kind for the same case, or a send of that
  kind for that case, makes it stale (two previews on screen never both go out),
- the staff grant it was made under (role and when it was granted): a /revoke, even one
  followed by a new /grant, kills it,
- its age: an hour, after which nobody should act on what a preview said.
A stale tap answers with a clear message and changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import DomainError

KEY = "pending"
RETIRED = "pending_retired"  # tokens superseded or sent: a tap on one is told why
MAX_PENDING = 20
MAX_RETIRED = 100
MAX_AGE = timedelta(hours=1)


class StaleConfirmation(DomainError):
    """The preview behind a Confirm button no longer stands: nothing was sent."""

    code = "stale_confirmation"


@dataclass(frozen=True)
class Pending:
    request: dict[str, Any]
    grant: str | None
    at: datetime

    @property
    def topic(self) -> tuple[str, str]:
        return self.request["op"], self.request["ref"]


def offer(
    user_data: dict[str, Any], request: dict[str, Any], grant: str | None, now: datetime
) -> str:
    """Keep `request` behind a new token; older previews of the same kind and case die."""
    pending: dict[str, Pending] = user_data.setdefault(KEY, {})
    made = Pending(dict(request), grant, now)
    _retire(user_data, made.topic)
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    token = secrets.token_urlsafe(9)
    pending[token] = made
    return token


def take(user_data: dict[str, Any], token: str, grant: str | None, now: datetime) -> dict[str, Any]:
    """The request behind `token`, if it still stands; it is used up either way.

    Raises KeyError for a token never issued (or already used or cancelled), and
    StaleConfirmation for one issued under another grant, or too long ago.
    """
    pending: dict[str, Pending] = user_data.get(KEY, {})
    if user_data.get(RETIRED, {}).pop(token, False):
        raise StaleConfirmation()
    made = pending.pop(token)
    if made.grant is None or made.grant != grant or now - made.at > MAX_AGE:
        raise StaleConfirmation()
    return made.request


def peek(user_data: dict[str, Any], token: str, grant: str | None, now: datetime) -> dict[str, Any]:
    """The request behind `token`, left in place (a preview being completed, e.g. its text in
    one more language, before a new preview replaces it). Raises as `take` does."""
    if token in user_data.get(RETIRED, {}):
        raise StaleConfirmation()
    made: Pending = user_data.get(KEY, {})[token]
    if made.grant is None or made.grant != grant or now - made.at > MAX_AGE:
        raise StaleConfirmation()
    return dict(made.request)


def sent(user_data: dict[str, Any], op: str, ref: str) -> None:
    """A send of `op` for `ref` went out: every other preview of it is stale now."""
    _retire(user_data, (op, ref))


def _retire(user_data: dict[str, Any], topic: tuple[str, str]) -> None:
    pending: dict[str, Pending] = user_data.get(KEY, {})
    retired: dict[str, bool] = user_data.setdefault(RETIRED, {})
    for token in [t for t, p in pending.items() if p.topic == topic]:
        del pending[token]
        retired[token] = True
    while len(retired) > MAX_RETIRED:
        retired.pop(next(iter(retired)))
