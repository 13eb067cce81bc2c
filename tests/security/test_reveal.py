"""Who sees what: restricted fields only to staff in a private chat, on request (/person REF N),
each reveal audited; refused to subscribers and in groups, in the domain as in the bot.
Internal fields (the audit trail's before/after) never in a group either."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.domain.errors import NotAllowed, UnknownPerson
from bot.domain.reveal import PrivateOnly, audit_trail, reveal_person
from bot.sandbox.local import RunningServer
from bot.store.models import AuditEvent, Person
from bot.telegram.thread import BotThread
from tests.domain.factories import ADMIN, COORDINATOR, PLAIN, draft, person, refused
from tests.security import conftest as sec
from tests.telegram.harness import Chat

REF = "KZ-2026-501"
SECRETS = {f: f"REVEAL-{f}-Алматы" for f in Person.RESTRICTED}
GROUP = -100_777


@pytest.fixture
def case(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as session:
        draft(session, REF, internal_notes="INTERNAL-strategy-note")
        cases.add_person(session, COORDINATOR, REF, person("Әлия", **SECRETS))
    return REF


def _reveals(sessions: sessionmaker[Session]) -> list[AuditEvent]:
    with sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == "person.reveal")
        return list(session.scalars(stmt.order_by(AuditEvent.id)))


# --- the domain -------------------------------------------------------------------------


def test_staff_in_a_private_chat_see_the_restricted_fields_and_the_reveal_is_audited(
    sessions: sessionmaker[Session], case: str
) -> None:
    with sessions.begin() as session:
        shown = reveal_person(session, COORDINATOR, case, 2, private=True)
    assert shown.restricted == SECRETS
    assert shown.person.name == "Әлия"
    [event] = _reveals(sessions)
    assert (event.actor_id, event.case_ref, event.allowed) == (COORDINATOR.user_id, REF, True)
    assert event.after == {"position": 2, "fields": sorted(SECRETS)}
    assert not any(v in str(event.before) + str(event.after) for v in SECRETS.values())


def test_admins_may_reveal_too(sessions: sessionmaker[Session], case: str) -> None:
    with sessions.begin() as session:
        assert reveal_person(session, ADMIN, case, 2, private=True).restricted == SECRETS


def test_a_subscriber_is_refused_before_anything_is_read(
    sessions: sessionmaker[Session], case: str
) -> None:
    refused(sessions, NotAllowed, lambda s: reveal_person(s, PLAIN, case, 2, private=True))


def test_staff_in_a_group_chat_are_refused(sessions: sessionmaker[Session], case: str) -> None:
    error = refused(
        sessions, PrivateOnly, lambda s: reveal_person(s, COORDINATOR, case, 2, private=False)
    )
    assert "private chat" in error.message("en")


def test_an_unknown_person_is_refused_without_an_audit_of_a_reveal(
    sessions: sessionmaker[Session], case: str
) -> None:
    refused(sessions, UnknownPerson, lambda s: reveal_person(s, COORDINATOR, case, 9, private=True))


def test_the_audit_trail_is_for_admins_in_a_private_chat_only(
    sessions: sessionmaker[Session], case: str
) -> None:
    with sessions() as session:
        ref, events = audit_trail(session, ADMIN, case, private=True)
    assert ref == REF and any(e.action == "case.create" for e in events)
    refused(sessions, PrivateOnly, lambda s: audit_trail(s, ADMIN, case, private=False))
    refused(sessions, NotAllowed, lambda s: audit_trail(s, COORDINATOR, case, private=True))


# --- through the bot --------------------------------------------------------------------


@pytest.fixture
def bot(
    server: RunningServer, sessions: sessionmaker[Session], case: str, staffed: None
) -> Iterator[BotThread]:
    with sec.start_bot(server, sessions) as running:
        yield running


def _group_text(server: RunningServer, user_id: int, text: str) -> str:
    sent = server.control.send_text(user_id, text, chat_id=GROUP, chat_type="group")
    [reply] = server.control.wait(GROUP, count=1, since=sent["message_id"])
    return reply["plain_text"]


def test_person_shows_a_coordinator_the_details_in_a_private_chat(
    server: RunningServer, bot: BotThread, sessions: sessionmaker[Session]
) -> None:
    text = Chat(server.control, sec.COORDINATOR).text(f"/person {REF} 2")
    assert all(value in text for value in SECRETS.values())
    assert "This view has been recorded" in text
    assert [e.actor_id for e in _reveals(sessions)] == [sec.COORDINATOR]


def test_person_in_a_group_is_refused_audited_and_shows_nothing(
    server: RunningServer, bot: BotThread, sessions: sessionmaker[Session]
) -> None:
    answer = _group_text(server, sec.COORDINATOR, f"/person {REF} 2")
    assert "only in a private chat" in answer
    group = " ".join(m["text"] for m in server.control.messages(GROUP))
    assert not any(value in group for value in SECRETS.values())
    assert _reveals(sessions) == []
    with sessions() as session:
        refusal = session.scalars(select(AuditEvent).where(AuditEvent.allowed.is_(False))).one()
    assert (refusal.action, refusal.actor_id, refusal.case_ref) == (
        "refused.person",
        sec.COORDINATOR,
        REF,
    )


def test_person_is_refused_to_a_subscriber(
    server: RunningServer, bot: BotThread, sessions: sessionmaker[Session]
) -> None:
    text = Chat(server.control, sec.SUBSCRIBER).text(f"/person {REF} 2")
    assert "This command is for coordinators" in text
    assert not any(value in text for value in SECRETS.values())
    assert _reveals(sessions) == []


def test_audit_in_a_group_is_refused_so_internal_fields_stay_among_staff(
    server: RunningServer, bot: BotThread
) -> None:
    answer = _group_text(server, sec.ADMIN, f"/audit {REF}")
    assert "only in a private chat" in answer
    private = Chat(server.control, sec.ADMIN).text(f"/audit {REF}")
    assert "INTERNAL-strategy-note" in private  # internal: for the admin, in private
    assert not any(value in private for value in SECRETS.values())  # restricted: never


# --- writing a restricted field from the phone ------------------------------------------


def test_a_restricted_value_typed_by_a_coordinator_is_stored_encrypted_and_its_message_deleted(
    server: RunningServer,
    sessions: sessionmaker[Session],
    engine: Engine,
    case: str,
    staffed: None,
    logs: sec.Capture,
) -> None:
    secret = "CANARY-typed-whereabouts-Cell-9"
    with sec.start_bot(server, sessions):
        sent = server.control.send_text(
            sec.COORDINATOR, f"/editperson {case} 2 whereabouts {secret}"
        )
        [reply] = server.control.wait(sec.COORDINATOR, count=1, since=sent["message_id"])
        assert "stored encrypted" in reply["plain_text"]
        assert "message with the value was deleted" in reply["plain_text"]
        in_chat = server.control.messages(sec.COORDINATOR)
        assert sent["message_id"] not in [m["message_id"] for m in in_chat]
        assert not any(secret in (m.get("text") or "") for m in in_chat)
        # in a group the same command is refused and nothing is stored
        refusal = _group_text(server, sec.COORDINATOR, f"/editperson {case} 2 health CANARY-x")
        assert "private chat" in refusal
    with sessions() as session:
        person = session.scalars(select(Person).where(Person.position == 2)).one()
        assert person.whereabouts == secret
        assert person.health == SECRETS["health"]
    assert sec.scan_raw(engine, [secret]).hits == []  # ciphertext only, in every table
    assert not any(secret in line for line in logs.lines)


def test_a_pronoun_is_picked_from_buttons(
    server: RunningServer, sessions: sessionmaker[Session], case: str, staffed: None
) -> None:
    with sec.start_bot(server, sessions):
        coordinator = Chat(server.control, sec.COORDINATOR)
        [fields] = coordinator.say(f"/editperson {case} 2")
        assert "Tap a field" in fields["text"]
        choices = coordinator.press_edit(fields, f"ef:{case}:2:pronoun")
        assert "she / her" in str(choices["reply_markup"])
        saved = coordinator.press_edit(choices, f"ep:{case}:2:pronoun:she")
        assert "Saved for person 2" in saved["text"] and "she" in saved["text"]
    with sessions() as session:
        assert session.scalars(select(Person.pronoun).where(Person.position == 2)).one() == "she"
