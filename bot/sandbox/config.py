"""The server's settings, changed at run time through `POST /_control/config`."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from bot.sandbox.limits import LENIENT, LIMIT_MODES, LimitMode

_INT_SETS = ("blocked_chats", "gone_chats")
_STR_SETS = ("failing_methods",)
_FAULT_SHARES = ("fail_rate", "drop_rate", "lost_rate", "slow_rate")

# What `uabot sandbox --telegram-limits` enforces: Telegram's documented numbers.
TELEGRAM_LIMITS: dict[str, Any] = {
    "global_rate": 30,
    "global_burst": 30,
    "per_chat_rate": 1.0,
    "per_chat_burst": 3,
    "group_per_minute": 20,
}


@dataclass
class Config:
    global_rate: float | None = None  # messages a second over all chats; None: no limit
    global_burst: int = 30
    per_chat_rate: float | None = None
    per_chat_burst: int = 1
    group_per_minute: int | None = None  # messages a minute to one group chat; None: no limit
    # How the limits are counted (bot/sandbox/limits.py): "lenient" token buckets, or
    # "strict", at most that many in any window by arrival time.
    limit_mode: LimitMode = LENIENT
    blocked_chats: set[int] = field(default_factory=set)
    gone_chats: set[int] = field(default_factory=set)
    migrated_chats: dict[int, int] = field(default_factory=dict)  # old group id -> supergroup
    # Bot API methods (any case) answered 500 whatever their parameters, e.g. setMyCommands.
    failing_methods: set[str] = field(default_factory=set)
    fail_rate: float = 0.0
    drop_rate: float = 0.0  # the connection closes before the message is delivered
    lost_rate: float = 0.0  # the message is delivered, then the connection closes unanswered
    slow_rate: float = 0.0
    slow_seconds: float = 1.0
    seed: int = 0
    bot_username: str = "uabot_test_bot"
    bot_first_name: str = "uabot"

    def update(self, changes: dict[str, Any]) -> None:
        """Apply the given keys, or none: a bad key or value raises `ValueError`."""
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        converted = {key: _convert(key, value) for key, value in changes.items()}
        shares = [converted.get(k, getattr(self, k)) for k in _FAULT_SHARES]
        if sum(shares) > 1.0:
            raise ValueError(f"{' + '.join(_FAULT_SHARES)} must not exceed 1")
        for key, value in converted.items():
            setattr(self, key, value)

    def to_json(self) -> dict[str, Any]:
        shown = asdict(self)
        for key in (*_INT_SETS, *_STR_SETS):
            shown[key] = sorted(shown[key])
        shown["migrated_chats"] = {str(k): v for k, v in self.migrated_chats.items()}
        return shown

    def fault_rng(self) -> random.Random:
        return random.Random(self.seed)  # noqa: S311 - fault injection, not security


def _convert(key: str, value: Any) -> Any:
    try:
        if key in _INT_SETS:
            return {int(v) for v in value}
        if key in _STR_SETS:
            return {str(v).lower() for v in value}
        if key == "migrated_chats":
            return {int(k): int(v) for k, v in dict(value).items()}
        if key in ("global_rate", "per_chat_rate"):
            return None if value is None else _positive(float(value), key)
        if key == "group_per_minute":
            return None if value is None else int(_positive(int(value), key))
        if key == "limit_mode":
            if value not in LIMIT_MODES:
                raise ValueError(f"one of {', '.join(LIMIT_MODES)}")
            return value
        if key in ("global_burst", "per_chat_burst"):
            return int(_positive(int(value), key))
        if key == "seed":
            return int(value)
        if key in _FAULT_SHARES:
            return _share(float(value), key)
        if key == "slow_seconds":
            return _positive(float(value), key)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad value for {key}: {value!r} ({exc})") from None


def _positive(value: float, key: str) -> float:
    if value <= 0:
        raise ValueError(f"{key} must be positive")
    return value


def _share(value: float, key: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{key} must be between 0 and 1")
    return value
