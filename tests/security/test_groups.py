"""Staff in a group see only what a subscriber sees there: no drafts, no sources, no figures,
no letters of drafts; staff commands are refused there and told to go private; a draft and a
missing reference get the same answer, echoed the same way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.domain.staff import SYSTEM
from bot.sandbox.local import RunningServer
from bot.store.models import AuditEvent
from bot.telegram.thread import BotThread
from tests import demo_rows
from tests.security import conftest as sec

GROUP = -100_515_151
DRAFT, ACTIVE = "KZ-2026-001", "KZ-2026-002"
HINT = "You are staff: in a group you see only what subscribers see"


@pytest.fixture
def bot(
    server: RunningServer, sessions: sessionmaker[Session], staffed: None
) -> Iterator[BotThread]:
    with sessions.begin() as session:
        demo_rows.load_cases(session)
        cases.publish(session, SYSTEM, ACTIVE)
    with sec.start_bot(server, sessions) as running:
        yield running


def _in_group(server: RunningServer, user_id: int, text: str, count: int = 1) -> list[str]:
    sent = server.control.send_text(user_id, text, chat_id=GROUP, chat_type="group")
    replies = server.control.wait(GROUP, count=count, since=sent["message_id"])
    return [m["plain_text"] or "" for m in replies]


@pytest.mark.parametrize("command", ["case", "letter"])
def test_a_draft_and_a_missing_case_get_the_same_answer_in_a_group(
    server: RunningServer, bot: BotThread, command: str
) -> None:
    for who in (sec.COORDINATOR, sec.ADMIN, sec.SUBSCRIBER):
        # A missing reference as near the public KZ-2026-002 as the draft's is: both get the
        # same suggestion, so only the echoed reference differs.
        [draft] = _in_group(server, who, f"/{command} kz-2026-001")
        [missing] = _in_group(server, who, f"/{command} kz-2026-005")
        assert draft.replace("001", "005") == missing, (command, who)
        assert "There is no case kz-2026-001" in draft


def test_staff_see_the_public_case_in_a_group_with_a_hint_to_go_private(
    server: RunningServer, bot: BotThread
) -> None:
    [staff_view] = _in_group(server, sec.COORDINATOR, f"/case {ACTIVE}")
    [subscriber_view] = _in_group(server, sec.SUBSCRIBER, f"/case {ACTIVE}")
    assert staff_view.startswith(subscriber_view)
    assert HINT in staff_view and HINT not in subscriber_view


@pytest.mark.parametrize(
    "command",
    [f"/watch {ACTIVE}", f"/stats {ACTIVE}", f"/publish {DRAFT}", f"/letters_zip {DRAFT}"],
)
def test_staff_commands_are_refused_in_a_group_and_audited(
    server: RunningServer, bot: BotThread, sessions: sessionmaker[Session], command: str
) -> None:
    [answer] = _in_group(server, sec.COORDINATOR, command)
    assert "only in a private chat" in answer
    name = command.split()[0].lstrip("/")
    with sessions() as session:
        stmt = select(AuditEvent.action).where(AuditEvent.allowed.is_(False))
        assert list(session.scalars(stmt)) == [f"refused.{name}"]
