"""Against a seized staff phone (bot/domain/safeguards.py), through the bot and the local Bot
API server: reveals are protected and deleted after their time (across a restart too), a
budget stops a burst and alerts the admins, an optional PIN locks after three wrong answers,
an admin's lockdown stops what it says, and a member's own /panic suspends them and deletes
their reveals. Time is the test's clock, moved by hand: no test waits ten minutes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import get_settings
from bot.domain import cases
from bot.sandbox.local import RunningServer
from bot.store.models import AuditEvent, ExpiringMessage, Person, Staff
from bot.telegram.thread import BotThread
from tests.domain.factories import COORDINATOR as COORDINATOR_ACTOR
from tests.domain.factories import draft, person
from tests.live import live_application
from tests.security import conftest as sec
from tests.telegram.harness import Chat, button_data

REF = "KZ-2026-601"
SECRETS = {f: f"SEIZED-{f}-Шымкент" for f in Person.RESTRICTED}
REVEAL = f"/person {REF} 2"


@dataclass
class Clock:
    """The bot's clock, moved by the test; it starts at the real time (no calendar date)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


@pytest.fixture
def case(sessions: sessionmaker[Session], staffed: None) -> str:
    with sessions.begin() as session:
        draft(session, REF)
        cases.add_person(session, COORDINATOR_ACTOR, REF, person("Әлия", **SECRETS))
    return REF


@pytest.fixture
def budget(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("REVEAL_BUDGET", "3")
    get_settings.cache_clear()
    yield 3
    get_settings.cache_clear()


def start(server: RunningServer, sessions: sessionmaker[Session], clock: Clock) -> BotThread:
    application = live_application(
        sec.TOKEN, server, sessions, None, clock=clock, sweep_interval=0.05
    )
    return BotThread(application)


@pytest.fixture
def bot(
    server: RunningServer, sessions: sessionmaker[Session], case: str, clock: Clock
) -> Iterator[BotThread]:
    with start(server, sessions, clock) as running:
        yield running


def _until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.02)


def _ids(server: RunningServer, chat_id: int) -> set[int]:
    return {m["message_id"] for m in server.control.messages(chat_id)}


def _audited(sessions: sessionmaker[Session], prefix: str) -> list[AuditEvent]:
    with sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action.startswith(prefix))
        return list(session.scalars(stmt.order_by(AuditEvent.id)))


def _say(server: RunningServer, user_id: int, text: str, expect: int = 1) -> list[dict[str, Any]]:
    return Chat(server.control, user_id).say(text, expect=expect)


# --- reveals leave the chat ------------------------------------------------------------------


def test_a_reveal_is_protected_and_deleted_after_its_time(
    server: RunningServer, bot: BotThread, clock: Clock
) -> None:
    [shown] = _say(server, sec.COORDINATOR, REVEAL)
    assert all(value in shown["text"] for value in SECRETS.values())
    assert shown["protected"] is True
    assert "deleted in 10 min" in shown["text"]
    clock.advance(minutes=9)
    time.sleep(0.3)  # several sweeps: none may delete it early
    assert shown["message_id"] in _ids(server, sec.COORDINATOR)
    clock.advance(minutes=2)
    _until(lambda: shown["message_id"] not in _ids(server, sec.COORDINATOR))


def test_the_deletion_survives_a_restart(
    server: RunningServer, sessions: sessionmaker[Session], case: str, clock: Clock
) -> None:
    with start(server, sessions, clock):
        [shown] = _say(server, sec.COORDINATOR, REVEAL)
    clock.advance(minutes=11)  # while the bot is down
    assert shown["message_id"] in _ids(server, sec.COORDINATOR)
    with start(server, sessions, clock):
        _until(lambda: shown["message_id"] not in _ids(server, sec.COORDINATOR))
    with sessions() as session:
        [row] = session.scalars(select(ExpiringMessage)).all()
        assert row.done_at is not None


# --- the budget ------------------------------------------------------------------------------


def test_reveals_past_the_budget_are_refused_and_every_admin_is_told(
    server: RunningServer, budget: int, bot: BotThread, sessions: sessionmaker[Session]
) -> None:
    for _ in range(budget):
        [shown] = _say(server, sec.COORDINATOR, REVEAL)
        assert SECRETS["whereabouts"] in shown["text"]
    before = len(server.control.messages(sec.ADMIN))
    [refused] = _say(server, sec.COORDINATOR, REVEAL)
    assert "limit of 3 reveals in 60 min" in refused["text"]
    assert not any(value in refused["text"] for value in SECRETS.values())
    [alert] = server.control.wait(sec.ADMIN, count=1, since=before)
    assert "Security alert" in alert["plain_text"] and str(sec.COORDINATOR) in alert["text"]
    assert len(_audited(sessions, "person.reveal_refused.reveal_budget")) == 1


def test_the_budget_is_per_window_of_the_clock(
    server: RunningServer, budget: int, bot: BotThread, clock: Clock
) -> None:
    for _ in range(budget):
        _say(server, sec.COORDINATOR, REVEAL)
    clock.advance(minutes=61)
    [shown] = _say(server, sec.COORDINATOR, REVEAL)
    assert SECRETS["whereabouts"] in shown["text"]


# --- the PIN ---------------------------------------------------------------------------------


def test_a_pin_is_asked_and_three_wrong_answers_lock_until_an_admin_unlocks(
    server: RunningServer, bot: BotThread, sessions: sessionmaker[Session]
) -> None:
    coordinator = Chat(server.control, sec.COORDINATOR)
    sent = server.control.send_text(sec.COORDINATOR, "/pin 73915")
    [done] = server.control.wait(sec.COORDINATOR, count=1, since=sent["message_id"])
    assert "PIN is set" in done["plain_text"]
    assert sent["message_id"] not in _ids(server, sec.COORDINATOR)  # the PIN left the chat
    with sessions() as session:
        stored = session.get_one(Staff, sec.COORDINATOR).pin_hash or ""
    assert stored.startswith("$argon2id$") and "73915" not in stored
    assert "needs your reveal PIN" in coordinator.text(REVEAL)
    assert "Attempts left before reveals lock: 2" in coordinator.text(f"{REVEAL} 11111")
    assert "Attempts left before reveals lock: 1" in coordinator.text(f"{REVEAL} 22222")
    before = len(server.control.messages(sec.ADMIN))
    assert "locked after three wrong PINs" in coordinator.text(f"{REVEAL} 33333")
    [alert] = server.control.wait(sec.ADMIN, count=1, since=before)
    assert "three times" in alert["plain_text"]
    assert "locked after three wrong PINs" in coordinator.text(f"{REVEAL} 73915")
    assert "unlocked" in Chat(server.control, sec.ADMIN).text(f"/unlock {sec.COORDINATOR}")
    assert SECRETS["health"] in coordinator.text(f"{REVEAL} 73915")
    actions = [e.action for e in _audited(sessions, "")]
    assert {"staff.pin", "reveal.locked", "reveal.unlock", "person.reveal"} <= set(actions)
    assert "person.reveal_refused.pin_wrong" in actions
    assert not any("73915" in str(e.after) for e in _audited(sessions, ""))


# --- lockdown and panic ----------------------------------------------------------------------


def test_lockdown_stops_reveals_exports_role_changes_and_kills_pending_confirmations(
    server: RunningServer, bot: BotThread, sessions: sessionmaker[Session]
) -> None:
    coordinator, admin = Chat(server.control, sec.COORDINATOR), Chat(server.control, sec.ADMIN)
    [pending] = coordinator.say(f"/publish {REF}")
    assert "Lockdown is on" in admin.text("/lockdown")
    stopped = "A lockdown is on"
    assert stopped in coordinator.text(REVEAL)
    assert stopped in coordinator.text(f"/letters_zip {REF}")
    assert stopped in admin.text(f"/grant {sec.SUBSCRIBER} coordinator")
    assert stopped in admin.text(f"/revoke {sec.COORDINATOR}")
    [answer] = coordinator.press(pending, _ok(pending))
    assert stopped in answer["text"]
    assert "Lockdown lifted" in admin.text("/lockdown off")
    [late] = coordinator.press(pending, _ok(pending))
    assert "expired" in late["text"].lower()  # asked before the lockdown: dead for good
    assert SECRETS["notes"] in coordinator.text(REVEAL)
    with sessions() as session:
        assert session.get(Staff, sec.SUBSCRIBER) is None  # the grant did not happen
    assert [e.action for e in _audited(sessions, "lockdown.")] == [
        "lockdown.start",
        "lockdown.lift",
    ]


def _ok(message: dict[str, Any]) -> str:
    return button_data(message, "ok:")


def test_panic_suspends_the_member_deletes_their_reveals_and_tells_the_admins(
    server: RunningServer, bot: BotThread, sessions: sessionmaker[Session]
) -> None:
    coordinator = Chat(server.control, sec.COORDINATOR)
    shown = [coordinator.say(REVEAL)[0]["message_id"] for _ in range(2)]
    before = len(server.control.messages(sec.ADMIN))
    [answer] = coordinator.say("/panic")
    assert "role is suspended" in answer["text"]
    _until(lambda: not set(shown) & _ids(server, sec.COORDINATOR))
    [alert] = server.control.wait(sec.ADMIN, count=1, since=before)
    assert "/panic" in alert["plain_text"]
    assert "This command is for coordinators" in coordinator.text(REVEAL)
    [event] = _audited(sessions, "staff.panic")
    assert event.after == {"suspended": True, "messages_to_delete": 2}
    granted = Chat(server.control, sec.ADMIN).text(f"/grant {sec.COORDINATOR} coordinator")
    assert str(sec.COORDINATOR) in granted
    assert SECRETS["sources"] in coordinator.text(REVEAL)
