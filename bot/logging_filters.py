"""Log redaction: no bot token, no message text, no restricted value in any log record.

python-telegram-bot logs request parameters, replies and whole updates at DEBUG, and httpx
logs every request URL at INFO; a Bot API URL holds `bot<token>`. `Redactor` is a
logging.Filter that Runtime puts on every root handler, so a record is cleaned once, before
any handler formats it, whichever library made it:

- `bot<token>` (and any secret it was given) is masked wherever it appears;
- an argument that could be content (a dict, an Update, a multi-line or long string) is
  withheld: what is left says which call happened, not what it carried;
- an exception keeps its type and stack but not its message, unless it comes from a
  library whose messages describe the failure rather than the data (SQLAlchemy with
  hide_parameters, Telegram's descriptions, the network stack, the OS);
- a number as long as a Telegram user or chat id (six digits or more) becomes a keyed hash
  (`id#` and 10 hex digits, HMAC-SHA256 under a key of this process), at every level: one
  id reads the same in every line, so lines can be followed, but not back to a person.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import traceback
from collections.abc import Iterable
from types import TracebackType

TOKEN_IN_URL = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
LONG_NUMBER = re.compile(r"(?<![\w.#])-?\d{6,}(?![\w.])")
MASK = "bot<token>"
WITHHELD = "<withheld>"
# Longest argument kept verbatim; longer ones are someone's text more often than not.
MAX_ARG = 200
SAFE_MESSAGE_MODULES = (
    "sqlalchemy",
    "telegram",
    "httpx",
    "httpcore",
    "aiohttp",
    "asyncio",
    "psycopg",
    "sqlite3",
    "alembic",
    "cryptography",
)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class Redactor(logging.Filter):
    """Rewrites each record in place (msg, args, exc_text, stack_info); never drops one."""

    def __init__(self, secrets: Iterable[str | None] = (), id_key: bytes | None = None) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)
        self.id_key = id_key or os.urandom(32)

    def mask(self, text: str) -> str:
        text = TOKEN_IN_URL.sub(MASK, text)
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return LONG_NUMBER.sub(lambda match: self.hashed(match.group()), text)

    def hashed(self, number: str) -> str:
        mac = hmac.new(self.id_key, number.encode(), hashlib.sha256).hexdigest()
        return f"id#{mac[:10]}"

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "uabot_redacted", False):
            return True
        record.msg = self._message(record)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self.mask(_exception_text(record.exc_info))
            record.exc_info = None  # no later handler may format the original
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        record.uabot_redacted = True
        return True

    def _message(self, record: logging.LogRecord) -> str:
        if not isinstance(record.msg, str):
            return f"{WITHHELD} ({type(record.msg).__name__})"
        args = record.args
        if not args:
            return self.mask(record.msg)
        values = args if isinstance(args, tuple) else (args,)
        try:
            return self.mask(record.msg % tuple(self._arg(v) for v in values))
        except (TypeError, ValueError, KeyError):
            # A mapping-style or malformed format: keep the template, drop the values.
            return self.mask(record.msg) + f" [{len(values)} argument(s) {WITHHELD}]"

    def _arg(self, value: object) -> object:
        if value is None or isinstance(value, (bool, int, float)):
            return value
        text = self.mask(str(value))
        if len(text) > MAX_ARG or "\n" in text or "{" in text:
            return WITHHELD
        return text


def _message_is_safe(exc: BaseException) -> bool:
    module = type(exc).__module__.split(".")[0]
    return module in SAFE_MESSAGE_MODULES or isinstance(exc, OSError)


def _exception_text(exc_info: ExcInfo) -> str:
    """The stack and the chain of exception types; messages only from SAFE_MESSAGE_MODULES."""
    lines: list[str] = []
    exc: BaseException | None = exc_info[1]
    seen: set[int] = set()
    chain: list[BaseException] = []
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    for position, item in enumerate(reversed(chain)):
        if position:
            lines.append("\nThe above exception led to the following:\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(item.__traceback__))
        name = f"{type(item).__module__}.{type(item).__qualname__}"
        message = str(item) if _message_is_safe(item) else f"{WITHHELD} ({len(str(item))} chars)"
        lines.append(f"{name}: {message}\n")
    return "".join(lines).rstrip("\n")


def install(*secrets: str | None, root: logging.Logger | None = None) -> Redactor:
    """Put one Redactor on every handler of the root logger (idempotent per handler)."""
    root = root or logging.getLogger()
    redactor = Redactor(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, Redactor)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
    return redactor
