"""Bot commands per scope and language, and which list a given chat would be shown."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.errors import bad_request

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_PLAIN_SCOPES = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators")


def scope_key(scope: dict[str, Any] | None) -> str:
    """A hashable name for a BotCommandScope: "default", "chat:42", ..."""
    if not scope:
        return "default"
    kind = scope.get("type")
    if kind in _PLAIN_SCOPES:
        return str(kind)
    if kind in ("chat", "chat_administrators") and "chat_id" in scope:
        return f"{kind}:{int(scope['chat_id'])}"
    if kind == "chat_member" and "chat_id" in scope and "user_id" in scope:
        return f"chat_member:{int(scope['chat_id'])}:{int(scope['user_id'])}"
    raise bad_request("can't parse BotCommandScope JSON object")


def check_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    checked = []
    for command in commands:
        name = str(command.get("command", "")) if isinstance(command, dict) else ""
        description = str(command.get("description", "")) if isinstance(command, dict) else ""
        if not _COMMAND.fullmatch(name.removeprefix("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name.removeprefix("/"), "description": description})
    return checked


class CommandBook:
    """setMyCommands' memory: (scope key, language code or "") -> commands."""

    def __init__(self) -> None:
        self.lists: dict[tuple[str, str], list[dict[str, str]]] = {}

    def set(self, scope: str, language: str, commands: list[dict[str, str]]) -> None:
        if commands:
            self.lists[(scope, language)] = commands
        else:
            self.lists.pop((scope, language), None)

    def get(self, scope: str, language: str = "") -> list[dict[str, str]]:
        return self.lists.get((scope, language), [])

    def shown_in_chat(
        self, chat_id: int, chat_type: str = "private", language: str = ""
    ) -> list[dict[str, str]]:
        """What a user of `language` sees in `chat_id`, by Telegram's order of fallbacks."""
        kinds = ["all_private_chats"] if chat_type == "private" else ["all_group_chats"]
        for scope in [f"chat:{chat_id}", *kinds, "default"]:
            for lang in ([language] if language else []) + [""]:
                if (scope, lang) in self.lists:
                    return self.lists[(scope, lang)]
        return []
