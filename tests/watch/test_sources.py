"""/watch's domain: who may, what is kept, what is refused before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import staff
from bot.domain.errors import CaseClosed, NotAllowed
from bot.domain.staff import Actor
from bot.store.models import AuditEvent, Case, CaseEvent, WatchSource
from bot.watch import sources
from bot.watch.errors import BadKeywords, TooManySources, UnknownSource, UnsafeUrl
from bot.watch.safety import Policy
from tests.watch.conftest import COORDINATOR, REF

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OPEN = Policy()


def _add(session: Session, url: str, words: list[str] | None = None) -> sources.Added:
    actor = staff.actor_for(session, COORDINATOR)
    return sources.add_source(session, actor, REF, url, words or [], policy=OPEN, now=NOW)


def test_adding_a_url_twice_replaces_its_keywords_and_lifts_a_mute(
    sessions: sessionmaker[Session], case: str
) -> None:
    with sessions.begin() as session:
        first = _add(session, "https://e.org/feed", ["Agadil"])
        first.source.status = "muted"
    with sessions.begin() as session:
        again = _add(session, "https://e.org/feed", ["Агадил"])
        assert (again.created, again.position) == (False, 1)
        assert (again.source.keywords, again.source.status) == (["Агадил"], "active")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(WatchSource)) == 1
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_ref == REF))
        assert list(actions).count("watch.add") == 2
        kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.actor_id == COORDINATOR))
        assert list(kinds) == ["source_watched"]  # the coordinator now hears the case's news


def test_refusals_write_nothing(sessions: sessionmaker[Session], case: str) -> None:
    with sessions.begin() as session:
        subscriber = Actor(user_id=5)
        with pytest.raises(NotAllowed):
            sources.add_source(session, subscriber, REF, "https://e.org/", policy=OPEN, now=NOW)
        with pytest.raises(UnsafeUrl) as unsafe:
            _add(session, "http://169.254.169.254/latest/meta-data/")
        assert unsafe.value.message("en") == (
            "This address cannot be watched: refused: not a public address."
        )
        with pytest.raises(BadKeywords):
            _add(session, "https://e.org/", ["x"])
        with pytest.raises(UnknownSource):
            sources.remove_source(session, staff.actor_for(session, COORDINATOR), REF, 1)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(WatchSource)) == 0


def test_a_case_has_at_most_twenty_sources(sessions: sessionmaker[Session], case: str) -> None:
    with sessions.begin() as session:
        for n in range(sources.MAX_SOURCES):
            _add(session, f"https://e.org/{n}")
        with pytest.raises(TooManySources):
            _add(session, "https://e.org/one-more")


def test_a_closed_case_takes_no_new_source(sessions: sessionmaker[Session], case: str) -> None:
    with sessions.begin() as session:
        row = session.scalars(select(Case).where(Case.ref == REF)).one()
        row.status, row.outcome = "closed", "released"
    with sessions.begin() as session, pytest.raises(CaseClosed):
        _add(session, "https://e.org/feed")
