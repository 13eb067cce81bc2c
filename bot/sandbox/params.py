"""A Bot API call's parameters, as PTB sends them: form fields holding JSON, or a JSON body."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import bad_request


@dataclass(frozen=True)
class Upload:
    file_name: str | None
    mime_type: str | None
    data: bytes


@dataclass
class Params:
    """Typed reads that fail the way Telegram fails on a missing or malformed parameter."""

    raw: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        return self.raw.get(key) not in (None, "")

    def integer(self, key: str) -> int:
        value = self.raw.get(key)
        if value in (None, ""):
            raise bad_request(f"{key} is empty")
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request(f"invalid {key} specified") from None

    def optional_integer(self, key: str) -> int | None:
        return self.integer(key) if self.has(key) else None

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def flag(self, key: str) -> bool:
        value = self.raw.get(key)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def decoded(self, key: str, what: str) -> Any:
        """A JSON-valued parameter: decoded from its form field, or as it came in a JSON body."""
        value = self.raw.get(key)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what} JSON object") from None

    def chat_id(self) -> int:
        if not self.has("chat_id"):
            raise bad_request("chat_id is empty")
        try:
            return int(self.raw["chat_id"])
        except (TypeError, ValueError):
            # "@channelusername": uabot never writes to channels, and no chat here has a name
            raise bad_request("chat not found") from None
