"""A question the bot asked and the next plain message answers: a translation's text
(/translate), an alert's text in one more language (the "Add Russian" of a preview), the name
that signs a supporter's letters, the organisation that signs an export (/letters_zip).
bot/telegram/handlers/fallback.py hands the answer to the handler of its kind.

One question per person at a time, the newest winning; it lives an hour, like a preview, so a
message typed much later is not taken for an answer, and any other command or button drops it
(bot/telegram/dispatch.py). It stays until answered well: a text that is refused can be sent
again. Only plain values are kept (ids, codes, paths).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

KEY = "awaiting"
MAX_AGE = timedelta(hours=1)


def ask(user_data: dict[str, Any], kind: str, now: datetime, **data: str) -> None:
    user_data[KEY] = {**data, "kind": kind, "at": now.isoformat()}


def current(user_data: dict[str, Any], now: datetime) -> dict[str, str] | None:
    """The open question, if one is open and not too old."""
    question: dict[str, str] | None = user_data.get(KEY)
    if question is None:
        return None
    if now - datetime.fromisoformat(question["at"]) > MAX_AGE:
        user_data.pop(KEY, None)
        return None
    return question


def clear(user_data: dict[str, Any]) -> bool:
    """Forget the open question; True if there was one."""
    return user_data.pop(KEY, None) is not None
