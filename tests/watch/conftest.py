"""Watch tests: feeds and pages from a local web site over real HTTP (tests/watch/site.py),
a real database (SQLite and PostgreSQL), the real Watcher. The one origin the tests' site
lives on is allowed by name; every other private address stays refused, as in production."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import staff
from bot.store.models import Alert, WatchSource
from bot.watch import sources
from bot.watch.fetch import FetchConfig
from bot.watch.poller import WatchConfig
from bot.watch.record import Rules
from bot.watch.safety import Policy
from tests import demo_rows
from tests.watch.site import Site, serve_site

COORDINATOR = 901
REF = "KZ-2026-001"


@dataclass
class Clock:
    """The watcher's clock, moved by the test: no test waits for an hour to pass."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


def site_policy(site: Site) -> Policy:
    parts = urlsplit(site.url)
    return Policy(allowed_origins=frozenset({f"{parts.hostname}:{parts.port}"}))


def watch_config(site: Site, timeout: float = 2.0, **fetch: object) -> WatchConfig:
    return WatchConfig(
        FetchConfig(timeout=timeout, policy=site_policy(site), **fetch),  # type: ignore[arg-type]
        Rules(jitter=0.0),
        tick=0.05,
    )


@pytest.fixture
def case(sessions: sessionmaker[Session]) -> str:
    """The seed cases (drafts, created by the demo loader) and one coordinator."""
    with sessions.begin() as session:
        demo_rows.load_cases(session)
        staff.grant(session, staff.SYSTEM, COORDINATOR, "coordinator")
    return REF


def add_source(
    sessions: sessionmaker[Session],
    site: Site,
    url: str,
    keywords: list[str] | None = None,
    now: datetime | None = None,
) -> int:
    with sessions.begin() as session:
        actor = staff.actor_for(session, COORDINATOR)
        added = sources.add_source(
            session,
            actor,
            REF,
            url,
            keywords or [],
            policy=site_policy(site),
            now=now or datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        )
        return added.source.id


def make_due(sessions: sessionmaker[Session], now: datetime) -> None:
    """As if every source's interval had passed."""
    with sessions.begin() as session:
        session.execute(update(WatchSource).values(next_check_at=now))


def notices(sessions: sessionmaker[Session], kind: str = "news") -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)))


def source(sessions: sessionmaker[Session], source_id: int) -> WatchSource:
    with sessions() as session:
        return session.get_one(WatchSource, source_id)
