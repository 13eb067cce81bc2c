"""Who you can be in the web chat. `uabot run` makes the staff among them staff, in the
sandbox only; the ids stay clear of `uabot demo load`'s synthetic subscribers (1..N)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DemoUser:
    user_id: int
    first_name: str
    language_code: str
    role: str | None  # "coordinator", "admin" or None: a subscriber
    label: str  # shown under the name in the page's user list

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


DEMO_USERS = (
    DemoUser(1001, "Aigerim", "en", None, "Subscriber · English"),
    DemoUser(1002, "Ольга", "ru", None, "Подписчица · русский"),
    DemoUser(901, "Dana", "en", "coordinator", "Coordinator"),
    DemoUser(900, "Arman", "en", "admin", "Admin"),
    DemoUser(1003, "Ерлан", "kk", None, "Жазылушы · қазақша"),
)
