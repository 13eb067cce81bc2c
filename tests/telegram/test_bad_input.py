"""Every command with wrong or missing arguments answers what was wrong and how to write it,
and leaves the database exactly as it was."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, staff
from bot.store.models import Action, AuditEvent, Base, Subscriber
from bot.telegram.thread import BotThread
from tests.clock import day
from tests.telegram.harness import Chat

# (who, command, a fragment the answer must contain)
SUBSCRIBER_CASES = [
    ("/cases abc", "optional page number"),
    ("/case", "needs a case reference"),
    ("/case XX-2026-999", "There is no case XX-2026-999"),
    ("/case KZ-2026-001", "There is no case KZ-2026-001"),  # a draft does not exist for them
    ("/follow", "Write it like this"),
    ("/follow country", "Write it like this"),
    ("/follow country ZZZ", "is not a country code"),
    ("/follow theme knitting", "is not a theme"),
    ("/follow KZ-2099-001", "There is no case"),
    ("/unfollow", "Write it like /follow"),
    ("/unfollow all", "You were not following that"),
    ("/acted", "needs a case reference"),
    ("/acted KZ-2026-001", "There is no case"),
    ("/letter", "needs a case reference"),
    ("/letter KZ-2026-001", "There is no case"),
    ("/letter XX-2026-001 ru", "There is no case"),
]
# a second list: the flood guard lets one user send about 20 commands in a row
SETTINGS_CASES = [
    ("/settings tz", "/settings tz Asia/Almaty"),
    ("/settings tz Mars/Olympus", "is not a time zone"),
    ("/settings hour noon", "/settings hour 18"),
    ("/settings hour 25", "The hour is not valid"),
    ("/settings colour blue", "/settings tz Asia/Almaty"),
]
COORDINATOR_CASES = [
    ("/addperson", "needs a case, a status and a name"),
    ("/addperson KZ-2026-001 flying Bob", "The status must be one of"),
    ("/addperson XX-2026-009 detained Bob", "There is no case"),
    ("/addtarget KZ-2026-001", "needs a case, a role"),
    ("/addtarget KZ-2026-001 boss Title; Name", "needs a case, a role"),
    ("/addtarget KZ-2026-001 primary OnlyTitle", "needs a case, a role"),
    ("/addtarget KZ-2026-001 primary Title; Name; not-an-email", "The email is not valid"),
    ("/deadline", "needs a case and a date like 2026-12-01"),
    ("/deadline KZ-2026-001", "needs a case and a date like 2026-12-01"),
    ("/deadline KZ-2026-001 tomorrow", "needs a date like 2026-12-01"),
    ("/deadline KZ-2026-001 2026-13-45", "needs a date like 2026-12-01"),
    (f"/deadline KZ-2026-001 {day(-1)}", "already passed"),
    ("/status KZ-2026-001 x released", "needs a case, a person's number and a status"),
    ("/status KZ-2026-001 1 flying", "is not a status"),
    ("/status KZ-2026-001 9 released", "has no person number 9"),
    ("/update", "needs a case and the text"),
    ("/update KZ-2026-001", "needs a case and the text"),
    ("/update KZ-2026-001 News.", "is not active yet"),
    ("/publish", "needs a case reference"),
    ("/publish XX-2026-001", "There is no case"),
    ("/close KZ-2026-001", "is not active yet"),  # an active case gets outcome buttons
    ("/close KZ-2026-001 fled He left.", "The outcome must be one of"),
    ("/close KZ-2026-001 released He was released.", "is not active yet"),
    ("/stats", "needs a case reference"),
    ("/stats XX-2026-001", "There is no case"),
    ("/letter KZ-2026-001 fr", "fr"),
    ("/letter_set", "on the first line"),
    ("/letter_set KZ-2026-001 ru", "on the first line"),
    ("/letter_set KZ-2026-001 fr\nDear", "on the first line"),
    ("/letters_zip", "needs a case reference"),
    ("/letters_zip XX-2026-001", "There is no case"),
]
ADMIN_CASES = [
    ("/audit", "needs a case reference"),
    ("/grant", "needs a numeric Telegram user id"),
    ("/grant abc coordinator", "needs a numeric Telegram user id"),
    ("/grant 5 coordinator extra", "needs a numeric Telegram user id"),
    ("/grant 5 king", "is not a role"),
    ("/revoke", "needs a numeric Telegram user id"),
    ("/revoke x", "needs a numeric Telegram user id"),
]


def _counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
            if t.name != "audit_events"
        }


def _check(chat: Chat, sessions: sessionmaker[Session], cases: list[tuple[str, str]]) -> None:
    chat.say("/start")
    before = _counts(sessions)
    for command, fragment in cases:
        answer = chat.text(command)
        assert fragment in answer, f"{command!r} answered {answer!r}"
        assert "Traceback" not in answer
    assert _counts(sessions) == before


def test_every_subscriber_command_explains_bad_arguments(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _check(chat, sessions, SUBSCRIBER_CASES)


def test_every_settings_form_explains_bad_arguments(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    _check(chat, sessions, SETTINGS_CASES)


def test_every_coordinator_command_explains_bad_arguments(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    _check(coordinator, sessions, COORDINATOR_CASES)


def test_every_admin_command_explains_bad_arguments(
    admin: Chat, sessions: sessionmaker[Session]
) -> None:
    _check(admin, sessions, ADMIN_CASES)


@pytest.mark.parametrize(
    "command",
    [
        "/addperson KZ-2026-001 detained Bob",
        "/addtarget KZ-2026-001 primary T; N",
        f"/deadline KZ-2026-001 {day(365)}",
        "/status KZ-2026-001 1 released",
        "/update KZ-2026-001 News",
        "/publish KZ-2026-001",
        "/close KZ-2026-001 released Done",
        "/stats KZ-2026-001",
        "/audit KZ-2026-001",
        "/grant 5 admin",
        "/revoke 901",
        "/newcase",
    ],
)
def test_a_subscriber_sending_a_staff_command_is_refused_and_audited(
    chat: Chat, sessions: sessionmaker[Session], command: str
) -> None:
    before = _counts(sessions)
    answer = chat.text(command)
    assert "This command is for" in answer
    assert _counts(sessions) == before
    with sessions() as session:
        refusals = session.scalars(select(AuditEvent).where(AuditEvent.allowed.is_(False)))
        assert [e.actor_id for e in refusals] == [chat.user_id]


@pytest.fixture
def actions_table_dropped(
    bot: BotThread, sessions: sessionmaker[Session], engine: Engine
) -> Iterator[None]:
    """A real fault below the handler: the table /acted writes to is gone (then put back)."""
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-001")
        session.execute(text("DROP TABLE actions"))
    yield
    Action.__table__.create(engine)


@pytest.mark.usefixtures("actions_table_dropped")
def test_a_failing_handler_apologises_and_leaves_nothing_half_written(
    chat: Chat, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    secret_note = "my-private-note-4711"
    answer = chat.text(f"/acted KZ-2026-001 {secret_note}")
    assert "Something went wrong; nothing was changed" in answer
    assert "Traceback" not in answer
    with sessions() as session:
        # /acted would have created the subscriber in the same transaction: rolled back
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0
    assert "handler failed" in caplog.text
    assert secret_note not in caplog.text
