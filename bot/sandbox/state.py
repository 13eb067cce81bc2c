"""Everything the local Bot API server knows, in memory, with no HTTP in sight.

All methods are synchronous and run on the server's event loop thread; anything that must
hear about changes (long polls, server-sent events, the future web chat) subscribes with
`listen` and is called with an `Event` for every new update, message, edit or answer.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.commands import CommandBook
from bot.sandbox.config import Config
from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.limits import FloodLimiter
from bot.sandbox.models import CallbackQuery, Chat, Document, Message, User

STATUS_KEYS = ("429", "403", "400", "5xx", "dropped", "slow", "lost")
UPDATE_TYPES = ("message", "callback_query")
_LIMIT_KEYS = {
    "global_rate",
    "global_burst",
    "per_chat_rate",
    "per_chat_burst",
    "group_per_minute",
    "limit_mode",
}
DELETE_WITHIN = 48 * 3600  # seconds: Telegram deletes a message only this soon after it was sent


@dataclass(frozen=True)
class Event:
    """`kind` is "update", "message" or "callback_answer"; `chat_id` is None for updates."""

    kind: str
    chat_id: int | None
    data: dict[str, Any]


@dataclass
class Content:
    """A message's text as sent and as shown, once validated."""

    text: str
    plain_text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None


@dataclass
class Counters:
    requests: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    delivered_by_chat: Counter[int] = field(default_factory=Counter)
    status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_KEYS, 0))

    def count_status(self, code: int) -> None:
        key = "5xx" if code >= 500 else str(code)
        if key in self.status:
            self.status[key] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "sent": self.sent,
            "delivered_by_chat": {str(k): v for k, v in self.delivered_by_chat.items()},
            "status": dict(self.status),
        }


class BotState:
    def __init__(self, config: Config | None = None, clock: Callable[[], float] = time.monotonic):
        self.config = config or Config()
        self.clock = clock
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.documents: dict[str, Document] = {}
        self.commands = CommandBook()
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {}
        self._listeners: list[Callable[[Event], None]] = []
        self._update_ids = itertools.count(1)  # never restarts: a bot's offset stays valid
        self._rebuild_limits()
        self._rng = self.config.fault_rng()
        self.clear()

    def clear(self) -> None:
        """Forget messages, updates, answers, documents and counters; keep config and commands."""
        self.updates: list[dict[str, Any]] = []
        self.allowed_updates: list[str] = []
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.counters = Counters()
        self.documents.clear()
        for chat in self.chats.values():
            chat.messages.clear()
        self._rebuild_limits()

    # -- configuration ---------------------------------------------------------------------

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        self.config.update(changes)
        if "seed" in changes:
            self._rng = self.config.fault_rng()
        if changes.keys() & _LIMIT_KEYS:
            self._rebuild_limits()
        return self.config.to_json()

    def _rebuild_limits(self) -> None:
        c = self.config
        self.limiter = FloodLimiter(
            c.global_rate,
            c.global_burst,
            c.per_chat_rate,
            c.per_chat_burst,
            c.group_per_minute,
            c.limit_mode,
        )

    # -- listeners -------------------------------------------------------------------------

    def listen(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call `listener` on every event; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, kind: str, chat_id: int | None, data: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            listener(Event(kind, chat_id, data))

    # -- users and chats -------------------------------------------------------------------

    def user(
        self, user_id: int, first_name: str | None = None, language: str | None = None
    ) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(user_id, first_name or f"User {user_id}")
        if first_name:
            user.first_name = first_name
        if language:
            user.language_code = language
        return user

    def bot_user(self, bot_id: int) -> User:
        c = self.config
        return User(bot_id, c.bot_first_name, is_bot=True, username=c.bot_username)

    def chat(self, chat_id: int, chat_type: str | None = None) -> Chat:
        """The chat, made on first sight: a bot may write to any subscriber's private chat."""
        chat = self.chats.get(chat_id)
        if chat is None:
            kind = chat_type or ("private" if chat_id > 0 else "group")
            chat = self.chats[chat_id] = Chat(chat_id, kind)
        return chat

    def message(self, chat_id: int, message_id: int) -> Message | None:
        chat = self.chats.get(chat_id)
        return chat.messages.get(message_id) if chat else None

    def chat_messages(self, chat_id: int, since: int | None = None) -> list[Message]:
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        if since is None:
            return list(chat.messages.values())
        # Ids only grow, so look up the newer ones instead of scanning a long chat.
        first = max(since + 1, 1)
        newer = (chat.messages.get(i) for i in range(first, chat.last_message_id + 1))
        return [m for m in newer if m is not None]

    # -- what users do ---------------------------------------------------------------------

    def inject_message(
        self,
        user_id: int,
        text: str,
        *,
        entities: list[dict[str, Any]],
        first_name: str | None = None,
        language_code: str | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> tuple[int, Message]:
        user = self.user(user_id, first_name, language_code)
        chat = self.chat(user_id if chat_id is None else chat_id, chat_type)
        if chat.type == "private":
            chat.first_name = user.first_name
        content = Content(text, text, entities)
        message = self._store(chat, user, content)
        return self._queue_update("message", message.to_api()), message

    def inject_callback(
        self, user_id: int, message_id: int, data: str, chat_id: int | None = None
    ) -> tuple[int, str]:
        message = self.message(user_id if chat_id is None else chat_id, message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id or user_id}")
        query = CallbackQuery(secrets.token_hex(8), self.user(user_id), message, data)
        self.callback_queries[query.id] = query
        return self._queue_update("callback_query", query.to_api()), query.id

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, kind: payload})
        self._emit("update", None, {"update_id": update_id})
        return update_id

    def take_updates(
        self, offset: int | None, limit: int = 100, allowed: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """getUpdates without waiting: confirm those before `offset`, return those after."""
        if allowed is not None:
            self.allowed_updates = list(allowed)  # Telegram remembers it for later calls
        if offset is not None and offset < 0:
            self.updates = self.updates[offset:]
        elif offset is not None:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        wanted = set(self.allowed_updates or UPDATE_TYPES)
        self.updates = [u for u in self.updates if wanted & u.keys()]
        return self.updates[: max(1, min(limit, 100))]

    # -- what the bot does -----------------------------------------------------------------

    def admit(self, chat_id: int) -> None:
        """Raise what Telegram answers for a message to `chat_id` that may not go now."""
        self.check_reachable(chat_id)
        retry_after = self.limiter.check(chat_id, self.clock())
        if retry_after:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    def check_reachable(self, chat_id: int) -> None:
        """Raise what Telegram answers for a chat that blocked the bot, is gone or moved."""
        c = self.config
        if chat_id in c.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in c.gone_chats:
            raise bad_request("chat not found")
        if chat_id in c.migrated_chats:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=c.migrated_chats[chat_id],
            )

    def draw_fault(self) -> str | None:
        """One seeded draw: "fail", "drop", "lost", "slow" or None, in the configured shares."""
        c = self.config
        roll = self._rng.random()
        shares = (
            ("fail", c.fail_rate),
            ("drop", c.drop_rate),
            ("lost", c.lost_rate),
            ("slow", c.slow_rate),
        )
        for fault, share in shares:
            if roll < share:
                return fault
            roll -= share
        return None

    def send(
        self,
        bot: User,
        chat_id: int,
        content: Content,
        *,
        reply_markup: dict[str, Any] | None = None,
        document: Document | None = None,
        reply_to: int | None = None,
        protected: bool = False,
    ) -> Message:
        chat = self.chat(chat_id)
        replied = chat.messages.get(reply_to) if reply_to is not None else None
        if document is not None:
            self.documents[document.file_id] = document
        message = self._store(chat, bot, content, reply_markup, document, replied)
        message.protected = protected
        self.counters.sent += 1
        self.counters.delivered_by_chat[chat_id] += 1
        return message

    def _store(
        self,
        chat: Chat,
        sender: User,
        content: Content,
        reply_markup: dict[str, Any] | None = None,
        document: Document | None = None,
        reply_to: Message | None = None,
    ) -> Message:
        message = Message(
            message_id=chat.next_message_id(),
            chat=chat,
            sender=sender,
            date=int(now := time.time()),
            timestamp=now,
            text=content.text,
            plain_text=content.plain_text,
            entities=content.entities,
            parse_mode=content.parse_mode,
            reply_markup=reply_markup,
            document=document,
            reply_to=reply_to,
        )
        chat.messages[message.message_id] = message
        self._emit("message", chat.id, message.to_control())
        return message

    def edit(
        self,
        chat_id: int,
        message_id: int,
        content: Content | None,
        reply_markup: dict[str, Any] | None,
    ) -> Message:
        """Change a bot message's text (unless `content` is None) and its inline keyboard.

        As in Telegram, an edit without a keyboard removes the one the message had.
        """
        message = self.message(chat_id, message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if content is not None and message.document is not None:
            raise bad_request("there is no text in the message to edit")
        new = content or Content(message.text, message.plain_text, message.entities)
        if (new.plain_text, new.entities, reply_markup) == (
            message.plain_text,
            message.entities,
            message.reply_markup,
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.text, message.plain_text, message.entities = new.text, new.plain_text, new.entities
        if content is not None:
            message.parse_mode = content.parse_mode
        message.reply_markup = reply_markup
        message.edit_date = int(time.time())
        self._emit("message", chat_id, message.to_control())
        return message

    def delete(self, chat_id: int, message_id: int) -> None:
        """As Telegram's deleteMessage: a message sent less than 48 hours ago; in a private
        chat the bot's own and the user's, in a group only the bot's own (uabot is never a
        group admin)."""
        message = self.message(chat_id, message_id)
        if message is None:
            raise bad_request("message to delete not found")
        too_old = time.time() - message.timestamp >= DELETE_WITHIN
        if too_old or (message.chat.type != "private" and not message.from_bot):
            raise bad_request("message can't be deleted")
        del message.chat.messages[message_id]
        self._emit("deleted", chat_id, {"message_id": message_id, "chat_id": chat_id})

    def answer_callback(self, query_id: str, text: str | None, show_alert: bool) -> None:
        query = self.callback_queries.get(query_id)
        if query is None or query.answer is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query.answer = {"callback_query_id": query_id, "text": text, "show_alert": show_alert}
        self._emit("callback_answer", query.message.chat.id, query.answer)

    def callback_answers(self, query_id: str | None = None) -> list[dict[str, Any]]:
        return [
            q.answer
            for q in self.callback_queries.values()
            if q.answer is not None and (query_id is None or q.id == query_id)
        ]
