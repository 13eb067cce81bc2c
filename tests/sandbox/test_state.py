"""The server's in-memory state on its own, without HTTP."""

from __future__ import annotations

import pytest

from bot.sandbox.config import Config
from bot.sandbox.errors import ApiError
from bot.sandbox.state import BotState, Content, Event


def inject(state: BotState, text: str, user_id: int = 42) -> int:
    update_id, _ = state.inject_message(user_id, text, entities=[])
    return update_id


def test_a_negative_offset_keeps_only_the_last_updates() -> None:
    state = BotState()
    for text in "abc":
        inject(state, text)

    assert [u["message"]["text"] for u in state.take_updates(-1)] == ["c"]
    assert len(state.take_updates(None)) == 1


def test_listeners_hear_updates_and_the_chats_messages() -> None:
    state = BotState()
    heard: list[Event] = []
    stop = state.listen(heard.append)

    inject(state, "hi")
    state.send(state.bot_user(1), 42, Content("yo", "yo"))
    stop()
    inject(state, "unheard")

    assert [(e.kind, e.chat_id, e.data.get("text")) for e in heard] == [
        ("message", 42, "hi"),
        ("update", None, None),
        ("message", 42, "yo"),
    ]


def test_a_users_message_cannot_be_edited_by_the_bot() -> None:
    state = BotState()
    inject(state, "mine")

    with pytest.raises(ApiError, match="message can't be edited"):
        state.edit(42, 1, Content("theirs", "theirs"), None)


def test_blocked_beats_the_flood_limit_and_spends_no_token() -> None:
    clock = iter([0.0, 0.0, 0.0])
    state = BotState(Config(per_chat_rate=1.0, blocked_chats={42}), clock=lambda: next(clock))

    with pytest.raises(ApiError) as raised:
        state.admit(42)
    state.configure({"blocked_chats": []})

    assert raised.value.code == 403
    state.admit(42)
