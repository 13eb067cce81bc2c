"""The authorization sweep: every staff command in COMMANDS (and /newcase), and every staff
button verb in ROUTES, sent by a plain subscriber: each refused with a clear answer, each
refusal audited, and not one cell of any other table changed.

The lists come from the live tables, so a staff command added tomorrow is swept too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.domain.errors import NotAllowed
from bot.sandbox.local import RunningServer
from bot.store.models import AuditEvent
from bot.telegram.app import COMMANDS
from bot.telegram.buttons import ROUTES
from bot.telegram.flood import FloodGuard
from bot.telegram.thread import BotThread
from tests.clock import day
from tests.domain.factories import COORDINATOR as CO_ACTOR
from tests.domain.factories import active, draft
from tests.security import conftest as sec
from tests.telegram.harness import Chat, buttons

ACTIVE, DRAFT = "KZ-2026-801", "KZ-2026-802"
GROUP = -100_880
# Arguments that would succeed for staff, so a refusal is all that stands in the way.
ARGS = {
    "addperson": f"{DRAFT} detained Bob",
    "addtarget": f"{DRAFT} primary Title; Name; t@example.org",
    "deadline": f"{DRAFT} {day(365)}",
    "status": f"{ACTIVE} 1 released",
    "update": f"{ACTIVE} Moved to another prison.",
    "publish": DRAFT,
    "close": f"{ACTIVE} released She is free.",
    "stats": ACTIVE,
    "person": f"{ACTIVE} 1",
    "letter_set": f"{ACTIVE} en\nDear {{{{ target.name }}}}, free them.",
    "letters_zip": ACTIVE,
    "audit": ACTIVE,
    "grant": f"{sec.SUBSCRIBER} admin",
    "revoke": str(sec.COORDINATOR),
}
STAFF_COMMANDS = sorted(name for name, (role, _) in COMMANDS.items() if role)
STAFF_VERBS = sorted(verb for verb, (role, _) in ROUTES.items() if role)


def _snapshot(engine: Engine) -> dict[str, Any]:
    tables = sec.raw_rows(engine)
    tables.pop("audit_events")
    return {name: sorted(map(repr, rows)) for name, rows in tables.items()}


def _refusals(sessions: sessionmaker[Session]) -> list[AuditEvent]:
    with sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.allowed.is_(False)).order_by(AuditEvent.id)
        return list(session.scalars(stmt))


@pytest.fixture
def bot(
    server: RunningServer, sessions: sessionmaker[Session], staffed: None
) -> Iterator[BotThread]:
    with sessions.begin() as session:
        active(session, ACTIVE)
        draft(session, DRAFT)
        cases.add_person(session, CO_ACTOR, ACTIVE, cases.PersonInput("Ә", whereabouts="W-801"))
    with sec.start_bot(server, sessions) as running:
        # One subscriber sends every staff request in a row, faster than a person would:
        # this test is about who may, not how fast (test_flood.py is about that).
        running.application.bot_data.flood_guard = FloodGuard(burst=1e9)
        yield running


def test_every_staff_command_and_button_is_refused_audited_and_changes_nothing(
    server: RunningServer, bot: BotThread, sessions: sessionmaker[Session], engine: Engine
) -> None:
    subscriber = Chat(server.control, sec.SUBSCRIBER)
    [welcome] = subscriber.say("/start")
    # A coordinator's real confirmation (staff commands answer in a private chat only),
    # its buttons pressed by the subscriber as if the message were in a group they share.
    publish = server.control.send_text(sec.COORDINATOR, f"/publish {DRAFT}")
    [confirm] = server.control.wait(sec.COORDINATOR, count=1, since=publish["message_id"])
    before = _snapshot(engine)
    expected: list[str] = []

    for name in [*STAFF_COMMANDS, "newcase"]:
        role = COMMANDS[name][0] if name in COMMANDS else "coordinator"
        answer = subscriber.text(f"/{name} {ARGS.get(name, f'{ACTIVE} 1')}".strip())
        assert answer == NotAllowed(action=name, role=role).message("en"), name
        expected.append(f"refused.{name}")
    real = buttons(confirm).values()  # the coordinator's own tokens, pressed in the group
    presses = [(verb, welcome, f"{verb}:forged-1", None) for verb in STAFF_VERBS]
    presses += [(data.split(":")[0], confirm, data, sec.COORDINATOR) for data in real]
    for verb, message, data, chat in presses:
        where = chat or sec.SUBSCRIBER
        since = server.control.messages(where)[-1]["message_id"]
        server.control.press(sec.SUBSCRIBER, message["message_id"], data, chat_id=chat)
        [answer] = server.control.wait(where, count=1, since=since)
        assert answer["plain_text"] == NotAllowed(action=verb, role=ROUTES[verb][0]).message("en")
        expected.append(f"refused.button.{verb}")

    assert _snapshot(engine) == before
    refusals = _refusals(sessions)
    assert [e.action for e in refusals] == expected
    assert {e.actor_id for e in refusals} == {sec.SUBSCRIBER}
    with sessions() as session:
        assert cases.get_case(session, DRAFT).status == "draft"
    print(
        f"\nauthorization sweep: {len(STAFF_COMMANDS) + 1} staff commands and "
        f"{len(STAFF_VERBS)} staff button verbs ({len(expected)} requests) sent by a "
        f"subscriber: {len(refusals)} refused and audited, 0 rows changed"
    )
