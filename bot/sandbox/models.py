"""What the local server remembers, each able to show itself as Telegram and as the control API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    id: int
    first_name: str
    is_bot: bool = False
    username: str | None = None
    language_code: str | None = None

    def to_api(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": self.id,
            "is_bot": self.is_bot,
            "first_name": self.first_name,
        }
        if self.username:
            shown["username"] = self.username
        if self.language_code:
            shown["language_code"] = self.language_code
        return shown


@dataclass
class Document:
    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    data: bytes

    def to_api(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            shown["file_name"] = self.file_name
        if self.mime_type:
            shown["mime_type"] = self.mime_type
        return shown

    def to_control(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "size": len(self.data),
        }


@dataclass
class Message:
    message_id: int
    chat: Chat
    sender: User
    date: int
    timestamp: float  # `date` to the microsecond, for latency measurements
    text: str  # as sent: the HTML source under parse_mode HTML; a document's caption
    plain_text: str  # what the user sees
    entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: Document | None = None
    reply_to: Message | None = None
    edit_date: int | None = None
    protected: bool = False  # sent with protect_content: no forwarding, no saving

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        text_key = "caption" if self.document else "text"
        if self.plain_text or not self.document:
            shown[text_key] = self.plain_text
        if self.entities:
            shown[f"{text_key}_entities" if self.document else "entities"] = self.entities
        if self.document:
            shown["document"] = self.document.to_api()
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            shown["reply_markup"] = self.reply_markup  # Telegram echoes only inline keyboards
        if self.edit_date:
            shown["edit_date"] = self.edit_date
        if self.protected:
            shown["has_protected_content"] = True
        if self.reply_to and with_reply:
            shown["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        return shown

    def to_control(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "chat_id": self.chat.id,
            "from_bot": self.from_bot,
            "from_id": self.sender.id,
            "text": self.text,
            "plain_text": self.plain_text,
            "entities": self.entities,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "document": self.document.to_control() if self.document else None,
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
            "date": self.date,
            "timestamp": self.timestamp,
            "edited": self.edit_date is not None,
            "protected": self.protected,
        }


@dataclass
class Chat:
    id: int
    type: str = "private"
    first_name: str | None = None
    title: str | None = None
    messages: dict[int, Message] = field(default_factory=dict)  # by id, in order
    last_message_id: int = 0

    def to_api(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            shown["first_name"] = self.first_name or f"User {self.id}"
        else:
            shown["title"] = self.title or f"Group {self.id}"
        return shown

    def next_message_id(self) -> int:
        # Telegram numbers messages per private chat; keeping that catches code that
        # wrongly treats a message_id as unique across chats.
        self.last_message_id += 1
        return self.last_message_id


@dataclass
class CallbackQuery:
    id: str
    user: User
    message: Message
    data: str
    answer: dict[str, Any] | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.user.to_api(),
            "message": self.message.to_api(),
            "chat_instance": str(self.message.chat.id),
            "data": self.data,
        }
