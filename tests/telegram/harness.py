"""Drive the real bot over HTTP: the Application runs in its own thread and event loop,
polling the project's local Bot API server; tests speak through the server's control API."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.local import ControlClient


@dataclass
class Chat:
    """One user talking to the bot in a private chat."""

    control: ControlClient
    user_id: int
    language: str = "en"
    first_name: str = "Test"
    seen: int = field(default=0)

    def say(self, text: str, expect: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        sent = self.control.send_text(
            self.user_id, text, language_code=self.language, first_name=self.first_name
        )
        return self._wait(sent["message_id"], expect, timeout)

    def press(
        self, message: dict[str, Any], data: str, expect: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        before = self.last_id()
        self.control.press(self.user_id, message["message_id"], data, language_code=self.language)
        return self._wait(before, expect, timeout) if expect else []

    def press_edit(
        self, message: dict[str, Any], data: str, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Press a button whose answer replaces the message it sits on; return the new version."""
        old = self._find(message["message_id"])
        self.control.press(self.user_id, message["message_id"], data, language_code=self.language)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = self._find(message["message_id"])
            if new["text"] != old["text"] or new.get("reply_markup") != old.get("reply_markup"):
                return new
            time.sleep(0.01)
        raise AssertionError(f"message {message['message_id']} was not edited")

    def _find(self, message_id: int) -> dict[str, Any]:
        return as_seen(
            next(m for m in self.control.messages(self.user_id) if m["message_id"] == message_id)
        )

    def as_seen_last(self) -> dict[str, Any]:
        """The newest message in the chat, as the person sees it."""
        return as_seen(self.control.messages(self.user_id)[-1])

    def last_id(self) -> int:
        messages = self.control.messages(self.user_id)
        return messages[-1]["message_id"] if messages else 0

    def _wait(self, since: int, expect: int, timeout: float) -> list[dict[str, Any]]:
        replies = self.control.wait(self.user_id, count=expect, timeout=timeout, since=since)
        return [as_seen(m) for m in replies]

    def text(self, text: str, **kw: Any) -> str:
        return "\n".join(m["text"] or "" for m in self.say(text, **kw))


def as_seen(message: dict[str, Any]) -> dict[str, Any]:
    """What the person reads: `text` without markup (the HTML source stays under `html`)."""
    return {**message, "html": message["text"], "text": message.get("plain_text") or ""}


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label → callback data (or the URL, for a URL button) of a message's inline keyboard."""
    markup = message.get("reply_markup") or {}
    return {
        b["text"]: b.get("callback_data") or b.get("url", "")
        for row in markup.get("inline_keyboard", [])
        for b in row
    }


def button_data(message: dict[str, Any], prefix: str) -> str:
    return next(d for d in buttons(message).values() if d.startswith(prefix))
