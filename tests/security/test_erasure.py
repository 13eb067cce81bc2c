"""Erasure: after /stop, or `uabot subscribers erase CHAT_ID`, the chat id appears in no cell
of any table (every column of every table, read with plain SQL); actions stay as counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.config import Settings
from bot.domain import actions, audit, cases, subscriptions
from bot.domain.staff import SYSTEM, Actor
from bot.sandbox.local import RunningServer
from bot.store.models import Action, AuditEvent, Case, Delivery, Scope
from bot.telegram.thread import BotThread
from tests.conftest import TEST_KEY
from tests.domain.factories import NOW, active
from tests.security import conftest as sec
from tests.telegram.harness import Chat, button_data

# Ten digits: no timestamp, counter or ciphertext holds this by chance.
CHAT = 7_314_159_265
REF = "KZ-2026-601"


def _publish_another(sessions: sessionmaker[Session]) -> None:
    """A second alert after the person subscribed: a pending delivery for them."""
    with sessions.begin() as session:
        active(session, "KZ-2026-602")


def _hits(engine: Engine) -> sec.RawScan:
    return sec.scan_raw(engine, [str(CHAT)])


def _rows_of(session: Session, subscriber_id: int) -> dict[str, int]:
    """Rows that still point at the subscriber's own row id."""
    return {
        model.__tablename__: session.scalar(
            select(func.count()).select_from(model).where(model.subscriber_id == subscriber_id)
        )
        or 0
        for model in (Scope, Delivery, Action)
    }


def _actions(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Action)) or 0


@pytest.fixture
def bot(server: RunningServer, sessions: sessionmaker[Session]) -> Iterator[BotThread]:
    with sessions.begin() as session:
        active(session, REF)
    with sec.start_bot(server, sessions) as running:
        yield running


def test_after_stop_the_chat_id_is_in_no_table(
    server: RunningServer, bot: BotThread, sessions: sessionmaker[Session], engine: Engine
) -> None:
    person = Chat(server.control, CHAT)
    person.say("/start")
    person.say("/follow all")
    [settings] = person.say("/settings")
    person.press(settings, button_data(settings, "mode:"))
    [shown] = person.say(f"/case {REF}")
    person.press(shown, button_data(shown, "acted:"))
    person.say(f"/publish {REF}")  # refused, and audited under their id
    _publish_another(sessions)
    with sessions() as session:
        subscriber = subscriptions.get_subscriber(session, CHAT)
        assert subscriber is not None
        assert _rows_of(session, subscriber.id) == {"scopes": 1, "deliveries": 1, "actions": 1}
    before = _hits(engine)
    assert {(t, c) for t, c, _ in before.hits} >= {
        ("subscribers", "chat_id"),
        ("audit_events", "actor_id"),
    }

    [question] = person.say("/stop")
    assert "erased" in person.press_edit(question, "stop:yes")["text"]

    after = _hits(engine)
    assert after.hits == []
    with sessions() as session:
        assert _rows_of(session, subscriber.id) == {"scopes": 0, "deliveries": 0, "actions": 0}
    assert _actions(sessions) == 1  # the action stays, as an anonymous count
    with sessions() as session:
        case_id = session.scalar(select(Case.id).where(Case.ref == REF))
        assert actions.tally(session, case_id) == 1
    print(f"\nerasure (/stop): {after.cells} cells of every table scanned, 0 hold the chat id")


def _env(db_url: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {name: None for name in Settings.model_fields}
    env.update(DATABASE_URL=db_url, UABOT_SECRET_KEYS=TEST_KEY)
    return env


def test_subscribers_erase_forgets_a_chat_for_a_request_made_elsewhere(
    sessions: sessionmaker[Session], engine: Engine, db_url: str
) -> None:
    with sessions.begin() as session:
        active(session, REF)
        subscriptions.follow(session, CHAT, "all", language="ru")
        subscriptions.follow(session, CHAT, "country", "KZ")
        actions.record_action(session, CHAT, REF)
        cases.further_information(session, SYSTEM, REF, "News.", now=NOW)  # a pending delivery
        audit.record(session, Actor(CHAT), "refused.publish", case_ref=REF, allowed=False)
    assert _hits(engine).hits

    result = CliRunner().invoke(main, ["subscribers", "erase", str(CHAT)], env=_env(db_url))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("subscribers: erased")
    scan = _hits(engine)
    assert scan.hits == []
    assert _actions(sessions) == 1
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subscriber.erase")
        ).one()
        assert (event.actor_id, event.entity_id, event.after) == (None, None, {"erased": True})
    again = CliRunner().invoke(main, ["subscribers", "erase", str(CHAT)], env=_env(db_url))
    assert again.exit_code == 0 and "nothing to erase" in again.stdout
    print(f"\nerasure (CLI): {scan.cells} cells of every table scanned, 0 hold the chat id")
