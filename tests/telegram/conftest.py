"""The bot against the local Bot API server, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, staff
from bot.domain.cases import PersonInput, TargetInput
from bot.sandbox.local import RunningServer, run_server
from bot.telegram.app import build_application
from bot.telegram.thread import BotThread
from tests import demo_rows
from tests.clock import ahead
from tests.telegram.harness import Chat

TOKEN = "123456:TEST-token"
ADMIN = 900
COORDINATOR = 901


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with run_server() as running:
        yield running


@pytest.fixture
def bot(server: RunningServer, sessions: sessionmaker[Session]) -> Iterator[BotThread]:
    with sessions.begin() as session:
        demo_rows.load_cases(session)
        staff.grant(session, staff.SYSTEM, COORDINATOR, "coordinator")
    application = build_application(TOKEN, sessions, base_url=server.base_url, admin_ids=(ADMIN,))
    with BotThread(application) as running:
        yield running


@pytest.fixture
def chat(server: RunningServer, bot: BotThread) -> Chat:
    return Chat(server.control, 1001)


@pytest.fixture
def coordinator(server: RunningServer, bot: BotThread) -> Chat:
    return Chat(server.control, COORDINATOR, first_name="Coordinator")


@pytest.fixture
def admin(server: RunningServer, bot: BotThread) -> Chat:
    return Chat(server.control, ADMIN, first_name="Admin")


def published_case(
    sessions: sessionmaker[Session],
    *,
    title: str,
    country: str = "KZ",
    summary: str = "",
    person: str = "Person",
) -> str:
    """A case published straight through the domain, with one person and one target."""
    with sessions.begin() as session:
        case = cases.create_case(
            session,
            staff.SYSTEM,
            title=title,
            country=country,
            summary=summary,
            deadline=ahead(days=365),
        )
        cases.add_person(session, staff.SYSTEM, case.ref, PersonInput(name=person))
        cases.add_target(
            session,
            staff.SYSTEM,
            case.ref,
            TargetInput(title="Judge", name="Demo Judge", country=country),
        )
        cases.publish(session, staff.SYSTEM, case.ref)
        return case.ref
