"""The watch through the bot: /watch refuses what could probe the server's network, the news
reaches the coordinator through the outbox and the delivery worker, and "Draft further
information" leads to the /update preview that publishes only on Confirm. Every message
crosses HTTP through the local Bot API server; the feed comes from a local site."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import get_settings
from bot.delivery.limiter import Pacer, SharedRateLimiter
from bot.delivery.sender import DeliveryConfig
from bot.delivery.worker import Worker, make_bot
from bot.domain import cases, staff, subscriptions
from bot.sandbox.local import RunningServer, run_server
from bot.store.models import Alert, WatchItem, WatchSource, utcnow
from bot.telegram.app import build_application
from bot.telegram.thread import BotThread
from bot.watch.poller import Watcher
from tests import demo_rows
from tests.telegram.harness import Chat, as_seen, button_data, buttons
from tests.watch.conftest import COORDINATOR, REF, make_due, watch_config
from tests.watch.site import Site, rss

TOKEN = "123456:TEST-token"
FOLLOWER = 11
MOVED = ("w1", "Agadil family moved to a prison in Karaganda", "Tue, 24 Nov 2026 09:00:00 GMT")
OTHER = ("w0", "Regional round-up", "Mon, 16 Nov 2026 09:00:00 GMT")


async def _deliver(
    sessions: sessionmaker[Session], engine: Engine, base_url: str, stop: asyncio.Event
) -> None:
    async with make_bot(TOKEN, base_url, 4) as bot:
        config = DeliveryConfig(poll_interval=0.05)
        await Worker(sessions, engine, bot, Pacer(None, None), config).run(stop)


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with run_server() as running:
        yield running


@pytest.fixture
def live_bot(
    server: RunningServer, sessions: sessionmaker[Session], engine: Engine
) -> Iterator[BotThread]:
    """The seed cases, KZ-2026-001 published and followed; the bot with its delivery worker."""
    with sessions.begin() as session:
        demo_rows.load_cases(session)
        staff.grant(session, staff.SYSTEM, COORDINATOR, "coordinator")
        cases.publish(session, staff.SYSTEM, REF)
    with sessions.begin() as session:
        subscriptions.follow(session, FOLLOWER, "case", REF)
    application = build_application(
        TOKEN,
        sessions,
        base_url=server.base_url,
        rate_limiter=SharedRateLimiter(Pacer(None, None)),
        background=partial(_deliver, sessions, engine, server.base_url),
    )
    with BotThread(application) as running:
        yield running


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The handlers read WATCH_ALLOW_PRIVATE from the environment (get_settings)."""
    monkeypatch.delenv("WATCH_ALLOW_PRIVATE", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _allow_private(env: pytest.MonkeyPatch) -> None:
    env.setenv("WATCH_ALLOW_PRIVATE", "1")
    get_settings.cache_clear()


def _news(server: RunningServer, since: int) -> dict:
    [message] = server.control.wait(COORDINATOR, count=1, timeout=10, since=since)
    return as_seen(message)


def _check(sessions: sessionmaker[Session], site: Site) -> None:
    asyncio.run(Watcher(sessions, watch_config(site)).check_once())


NOT_PUBLIC = "refused: not a public address"
REFUSED = (
    ("http://169.254.169.254/latest/meta-data/", NOT_PUBLIC),
    ("http://10.0.0.1/feed.xml", NOT_PUBLIC),
    ("http://127.0.0.1:5432/", NOT_PUBLIC),
    ("http://127。0。0。1:5432/internal-admin", NOT_PUBLIC),
    ("http://１２７.０.０.１/", NOT_PUBLIC),
    ("http://①②⑦.0.0.1/", NOT_PUBLIC),
    ("http://０.０.０.０/", NOT_PUBLIC),
    ("http://127．0．0．1/", NOT_PUBLIC),
    ("http://１６９.２５４.１６９.２５４/latest/meta-data/", NOT_PUBLIC),
    ("http://①⓪.0.0.1/", NOT_PUBLIC),
    ("file:///etc/passwd", "only http:// and https://"),
)


def test_watch_refuses_addresses_inside_the_servers_network(
    live_bot: BotThread,
    server: RunningServer,
    settings_env: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    coordinator = Chat(server.control, COORDINATOR)
    for url, words in REFUSED:
        [refused] = coordinator.say(f"/watch {REF} {url}")
        assert "This address cannot be watched" in refused["text"], url
        assert words in refused["text"], url
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(WatchSource)) == 0


def test_news_is_drafted_into_further_information_published_only_on_confirm(
    live_bot: BotThread,
    server: RunningServer,
    site: Site,
    settings_env: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    _allow_private(settings_env)
    coordinator = Chat(server.control, COORDINATOR)
    url = site.put("/feed.xml", rss(MOVED, OTHER))
    [added] = coordinator.say(f"/watch {REF} {url} Agadil Агадил")
    assert "Watching source 1 of KZ-2026-001" in added["text"]

    before = coordinator.last_id()
    _check(sessions, site)
    news = _news(server, before)
    assert "News for KZ-2026-001" in news["text"] and MOVED[1] in news["text"]
    assert (
        "https://news.example.org/w1" in news["text"] and "Keywords found: Agadil" in news["text"]
    )
    assert set(buttons(news)) == {"📝 Draft further information", "Not relevant", "🔇 Mute source"}

    [preview] = coordinator.press(news, button_data(news, "wd:"))
    assert "FURTHER INFORMATION 1 on KZ-2026-001" in preview["text"]
    assert MOVED[1] in preview["text"] and "https://news.example.org/w1" in preview["text"]
    with sessions() as session:  # nothing is published before Confirm
        kinds = session.scalars(select(Alert.kind)).all()
        assert "further_information" not in kinds

    follower_seen = len(server.control.messages(FOLLOWER))
    queued = coordinator.press_edit(preview, button_data(preview, "ok:"))
    assert "queued for 1 subscriber" in queued["text"]
    [alert] = server.control.wait(
        FOLLOWER, count=1, timeout=10, since=_last(server, FOLLOWER, follower_seen)
    )
    assert MOVED[1] in as_seen(alert)["text"]


def _last(server: RunningServer, chat: int, count: int) -> int:
    messages = server.control.messages(chat)
    return messages[count - 1]["message_id"] if count else 0


def test_not_relevant_and_mute_change_the_message_and_the_source(
    live_bot: BotThread,
    server: RunningServer,
    site: Site,
    settings_env: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    _allow_private(settings_env)
    coordinator = Chat(server.control, COORDINATOR)
    url = site.put("/feed.xml", rss(MOVED, OTHER))
    coordinator.say(f"/watch {REF} {url} Agadil")
    before = coordinator.last_id()
    _check(sessions, site)
    news = _news(server, before)

    dismissed = coordinator.press_edit(news, button_data(news, "wx:"))
    assert "Set aside as not relevant" in dismissed["text"] and not buttons(dismissed)
    with sessions() as session:
        assert (
            session.scalars(select(WatchItem.status).where(WatchItem.title == MOVED[1])).one()
            == "dismissed"
        )

    site.put(
        "/feed.xml",
        rss(("w2", "Agadil appeal heard", "Wed, 25 Nov 2026 09:00:00 GMT"), MOVED, OTHER),
    )

    make_due(sessions, utcnow())
    before = coordinator.last_id()
    _check(sessions, site)
    second = _news(server, before)
    assert "Agadil appeal heard" in second["text"]  # the dismissed one is not shown again
    muted = coordinator.press_edit(second, button_data(second, "wm:"))
    assert "Source muted" in muted["text"]

    listing = coordinator.text(f"/watch {REF}")
    assert "muted" in listing and "Last check:" in listing and "Last new item:" in listing
    assert "Keywords: Agadil" in listing
    assert "is no longer watched" in coordinator.text(f"/unwatch {REF} 1")
    assert "None yet" in coordinator.text(f"/watch {REF}")
