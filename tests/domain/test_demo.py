"""The demo data: the four seed cases as drafts and synthetic subscribers, idempotently."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, demo
from bot.domain.staff import SYSTEM
from bot.store.models import Case, Scope, Subscriber, Target
from tests.domain.factories import NOW, count, dump

SEED_TITLES = [
    "Family of Dulat Agadil under surveillance",
    "Post-election protesters detained",
    "Koshe Partiyasy supporters prosecuted",
    "Six women activists who shaved their heads in protest",
]


def test_loading_twice_leaves_four_cases_and_n_subscribers(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = demo.load(session, subscribers=25, now=NOW)
    after_first = dump(sessions)
    with sessions.begin() as session:
        second = demo.load(session, subscribers=25, now=NOW)
    assert first == demo.DemoResult(cases_created=4, subscribers_created=25)
    assert second == demo.DemoResult(cases_created=0, subscribers_created=0)
    assert dump(sessions) == after_first
    assert (count(sessions, Case), count(sessions, Subscriber)) == (4, 25)


def test_the_seed_cases_are_drafts_marked_as_demo(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        demo.load(session, now=NOW)
    with sessions() as session:
        rows = session.scalars(select(Case).order_by(Case.ref)).all()
        assert [c.title for c in rows] == SEED_TITLES
        assert [c.ref for c in rows] == [f"KZ-2026-00{i}" for i in range(1, 5)]
        assert {(c.status, c.demo, c.country) for c in rows} == {("draft", True, "KZ")}


def test_demo_targets_are_illustrative_addresses_at_example_org(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        demo.load(session, now=NOW)
    with sessions() as session:
        emails = session.scalars(select(Target.email)).all()
    assert emails
    assert all(email and email.endswith("@example.org") for email in emails)


def test_every_seed_case_can_be_published_to_every_demo_subscriber(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        demo.load(session, subscribers=10, now=NOW)
    with sessions.begin() as session:
        recipients = [cases.publish(session, SYSTEM, ref, now=NOW).recipients for ref in _refs()]
    assert recipients == [10, 10, 10, 10]


def _refs() -> list[str]:
    return [seed.ref for seed in demo.SEED_CASES]


def test_more_subscribers_later_adds_only_the_missing_chat_ids(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "BATCH", 4)  # several batches, including a partial one
    with sessions.begin() as session:
        assert demo.load_subscribers(session, 6) == 6
    with sessions.begin() as session:
        assert demo.load_subscribers(session, 11) == 5
    with sessions() as session:
        chat_ids = session.scalars(select(Subscriber.chat_id).order_by(Subscriber.chat_id)).all()
        scopes = session.execute(select(Scope.kind, Scope.value)).all()
    assert chat_ids == list(range(1, 12))
    assert set(scopes) == {("all", "*")} and len(scopes) == 11


def test_demo_subscribers_are_active_english_speakers_receiving_at_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        demo.load_subscribers(session, 3)
    with sessions() as session:
        rows = session.execute(select(Subscriber.status, Subscriber.mode, Subscriber.language))
        assert set(rows) == {("active", "immediate", "en")}
