"""The sandbox's sample feed: the demo loads a source for the Agadil case, the local Bot API
server serves the feed, and the watch (allowed the sandbox's own origin, nothing else) brings
the coordinators its two items naming Agadil, in Latin and in Cyrillic."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import load_settings
from bot.domain import demo, staff
from bot.sandbox.local import RunningServer, run_server
from bot.store.models import WatchSource
from bot.watch.poller import WatchConfig, Watcher, policy_of
from tests.watch.conftest import COORDINATOR, notices


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with run_server() as running:
        yield running


def test_the_demo_watches_the_sandboxs_sample_feed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        demo.load(session)
    with sessions.begin() as session:
        demo.load(session)  # twice changes nothing
        [source] = session.scalars(select(WatchSource)).all()
    assert source.url == demo.SAMPLE_FEED_URL
    assert source.keywords == ["Agadil", "Агадил"]


def test_the_sandbox_serves_the_feed_and_answers_conditional_requests(
    server: RunningServer,
) -> None:
    url = server.url + "/_samples/feeds/kz-monitor.xml"
    first = httpx.get(url)
    assert first.status_code == 200 and b"<rss" in first.content
    again = httpx.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert httpx.get(server.url + "/_samples/feeds/..%2fserver.py").status_code == 404


def test_a_newcomer_sees_news_arrive_from_the_sample_feed(
    server: RunningServer, sessions: sessionmaker[Session]
) -> None:
    port = urlsplit(server.url).port
    settings = load_settings(SANDBOX_PORT=port, TELEGRAM_TOKEN=None)
    url = f"http://127.0.0.1:{port}/_samples/feeds/kz-monitor.xml"
    with sessions.begin() as session:
        demo.load_cases(session)
        demo.load_sample_source(session, url=url)
        staff.grant(session, staff.SYSTEM, COORDINATOR, "coordinator")
    asyncio.run(Watcher(sessions, WatchConfig.from_settings(settings)).check_once())
    texts = [alert.texts["en"] for alert in notices(sessions)]
    assert len(texts) == 2
    assert "Суд в Астане отложил" in texts[0] and "Keywords found: Агадил" in texts[0]
    assert "Agadil family reports" in texts[1]


def test_only_the_sandbox_allows_its_own_origin() -> None:
    sandbox = policy_of(load_settings(TELEGRAM_TOKEN=None))
    production = policy_of(load_settings(TELEGRAM_TOKEN="123:abc"))
    assert sandbox.origin_allowed("127.0.0.1", 8080)
    assert not sandbox.origin_allowed("127.0.0.1", 5432)
    assert not production.origin_allowed("127.0.0.1", 8080)
