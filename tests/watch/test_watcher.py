"""The watcher against a local site and a real database (SQLite and PostgreSQL): what is new
is found once, across restarts; keywords filter; 304s cost no parsing; a broken or slow
source is reported and holds up no other; a day of failures is flagged once."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import staff
from bot.store.db import make_engine, make_session_factory
from bot.store.models import Alert, Case, Delivery, Subscriber, WatchItem
from bot.watch import sources
from bot.watch.poller import Watcher, beside
from bot.watch.problems import explain
from bot.watch.record import next_due_at
from tests.watch.conftest import (
    COORDINATOR,
    REF,
    Clock,
    add_source,
    make_due,
    notices,
    source,
    watch_config,
)
from tests.watch.site import HTML, Site, rss

OLD = (("g1", "Elections round-up", "Mon, 16 Nov 2026 09:00:00 GMT"),)
TWO_NEW = (
    ("g3", "Court date set for the Agadil family", "Tue, 24 Nov 2026 09:00:00 GMT"),
    ("g2", "New rules for gatherings", "Mon, 23 Nov 2026 09:00:00 GMT"),
)


async def _check(
    sessions: sessionmaker[Session], site: Site, clock: Clock, **kw: object
) -> Watcher:
    watcher = Watcher(sessions, watch_config(site, **kw), clock=clock)
    await watcher.check_once()
    return watcher


def _titles(sessions: sessionmaker[Session]) -> list[str]:
    """The announced items' titles, in the order their notices were queued."""
    with sessions() as session:
        return [
            session.get_one(WatchItem, int(alert.dedupe_key.split(":")[2])).title
            for alert in notices(sessions)
            if alert.dedupe_key
        ]


async def test_new_items_are_announced_once_and_only_once_across_restarts(
    sessions: sessionmaker[Session], db_url: str, case: str, site: Site, clock: Clock
) -> None:
    url = site.put("/feed.xml", rss(*OLD))
    add_source(sessions, site, url, now=clock())
    await _check(sessions, site, clock)
    assert notices(sessions) == []  # the first check's backlog is not news

    site.put("/feed.xml", rss(*TWO_NEW, *OLD))
    make_due(sessions, clock.advance(hours=1))
    await _check(sessions, site, clock)
    assert _titles(sessions) == ["New rules for gatherings", "Court date set for the Agadil family"]

    # A restart: a new engine, a new watcher. The feed reorders and re-dates what it showed.
    restarted = make_session_factory(make_engine(db_url))
    reordered = [(g, t, "Wed, 25 Nov 2026 10:00:00 GMT") for g, t, _ in (*OLD, *TWO_NEW)]
    site.put("/feed.xml", rss(*reordered))
    make_due(restarted, clock.advance(hours=1))
    await _check(restarted, site, clock)
    assert len(notices(restarted)) == 2
    with restarted() as session:
        [chat] = session.scalars(
            select(Subscriber.chat_id).join(Delivery, Delivery.subscriber_id == Subscriber.id)
        ).unique()
        assert chat == COORDINATOR
        assert session.scalar(select(func.count()).select_from(Delivery)) == 2


async def test_news_goes_on_after_an_unwatch_even_where_ids_are_reused(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    """SQLite gives a new row the id of the last deleted one: the item ids an /unwatch
    frees come back, and their notices' dedupe keys must not."""
    url = site.put("/feed.xml", rss(*OLD))
    add_source(sessions, site, url, now=clock())
    await _check(sessions, site, clock)
    site.put("/feed.xml", rss(*TWO_NEW, *OLD))
    make_due(sessions, clock.advance(hours=1))
    await _check(sessions, site, clock)
    assert len(notices(sessions)) == 2
    with sessions.begin() as session:
        sources.remove_source(session, staff.actor_for(session, COORDINATOR), REF, 1)
    later = (("g9", "Agadil appeal heard", "Thu, 26 Nov 2026 09:00:00 GMT"),)
    site.put("/feed.xml", rss(*OLD))
    add_source(sessions, site, url, now=clock.advance(hours=1))
    await _check(sessions, site, clock)
    site.put("/feed.xml", rss(*later, *OLD))
    make_due(sessions, clock.advance(hours=1))
    await _check(sessions, site, clock)
    assert "Agadil appeal heard" in notices(sessions)[-1].texts["en"]
    with sessions() as session:
        keys = list(session.scalars(select(Alert.dedupe_key).where(Alert.kind == "news")))
    assert len(keys) == len(set(keys)) == 3


async def test_keywords_filter_in_latin_and_cyrillic(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    url = site.put("/feed.xml", rss(*OLD))
    add_source(sessions, site, url, ["Agadil", "Агадил"], now=clock())
    await _check(sessions, site, clock)
    site.put(
        "/feed.xml",
        rss(
            ("k1", "AGADIL's sons followed again", "Tue, 24 Nov 2026 09:00:00 GMT"),
            ("k2", "Семья Агадила подала жалобу", "Tue, 24 Nov 2026 10:00:00 GMT"),
            ("k3", "Weather in Astana", "Tue, 24 Nov 2026 11:00:00 GMT"),
            *OLD,
        ),
    )
    make_due(sessions, clock.advance(hours=1))
    await _check(sessions, site, clock)
    with sessions() as session:
        announced = dict(
            session.execute(
                select(WatchItem.title, WatchItem.matched).where(WatchItem.status == "announced")
            ).all()
        )
    assert announced == {
        "AGADIL's sons followed again": ["Agadil"],
        "Семья Агадила подала жалобу": ["Агадил"],
    }
    texts = [alert.texts["en"] for alert in notices(sessions)]
    assert "Keywords found: Агадил" in texts[1]


async def test_a_first_check_with_keywords_brings_the_few_newest_matches(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    items = [(f"m{i}", f"Agadil hearing {i}", f"{10 + i} Nov 2026 09:00:00 GMT") for i in range(6)]
    url = site.put("/feed.xml", rss(*items))
    add_source(sessions, site, url, ["agadil"], now=clock())
    await _check(sessions, site, clock)
    assert _titles(sessions) == ["Agadil hearing 3", "Agadil hearing 4", "Agadil hearing 5"]
    assert "3 more new items matched" in notices(sessions)[-1].texts["en"]


async def test_a_304_answer_costs_no_parsing(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    url = site.put("/feed.xml", rss(*OLD))
    watched = add_source(sessions, site, url, now=clock())
    watcher = Watcher(sessions, watch_config(site), clock=clock)
    await watcher.check_once()
    make_due(sessions, clock.advance(hours=1))
    await watcher.check_once()
    assert site.answers[("/feed.xml", 304)] == 1
    assert watcher.stats.parsed == 1
    assert watcher.stats.outcomes["not_modified"] == 1
    assert source(sessions, watched).last_check_at == clock()


async def test_a_body_unchanged_without_validators_is_not_parsed_again(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    url = site.put("/feed.xml", rss(*OLD), validators=False)
    add_source(sessions, site, url, now=clock())
    watcher = Watcher(sessions, watch_config(site), clock=clock)
    await watcher.check_once()
    make_due(sessions, clock.advance(hours=1))
    await watcher.check_once()
    assert (watcher.stats.parsed, watcher.stats.outcomes["unchanged"]) == (1, 1)


async def test_a_slow_or_broken_source_is_reported_and_holds_up_no_other(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    slow = add_source(sessions, site, site.put("/slow.xml", rss(*OLD), delay=3), now=clock())
    garbage = add_source(
        sessions, site, site.put("/garbage", b"\x00\x01 nonsense", content_type="x/y"), now=clock()
    )
    good = add_source(sessions, site, site.put("/good.xml", rss(*OLD)), now=clock())
    started = time.monotonic()
    watcher = Watcher(sessions, watch_config(site, timeout=0.5), clock=clock)
    await watcher.check_once()
    assert time.monotonic() - started < 2.5  # the slow one's timeout, not its 3 s
    assert source(sessions, good).last_ok_at == clock()
    assert source(sessions, good).last_error is None
    assert source(sessions, slow).last_error == "timeout 0.5"
    assert source(sessions, garbage).last_error == "unknown_type x/y"
    assert explain("timeout 0.5", "en") == "no answer within 0.5 seconds"
    assert watcher.stats.outcomes == {"new": 1, "failed": 2}


async def test_a_failing_source_backs_off_and_is_flagged_once_after_a_day(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    broken = add_source(sessions, site, site.put("/gone.xml", "", status=500), now=clock())
    waits = []
    for _ in range(8):  # failures over more than a day: 1 h, 2 h, 4 h, then 6 h each
        await _check(sessions, site, clock)
        row = source(sessions, broken)
        waits.append(row.next_check_at - clock())
        clock.now = row.next_check_at
    assert waits[:4] == [timedelta(hours=h) for h in (1, 2, 4, 6)]
    [flag] = notices(sessions, "source_failing")
    assert "HTTP 500" in flag.texts["en"] and flag.recipients == 1
    assert source(sessions, broken).failure_flagged

    site.put("/gone.xml", rss(*OLD))  # it recovers: the next streak may be flagged again
    await _check(sessions, site, clock)
    row = source(sessions, broken)
    assert (row.failures, row.failing_since, row.failure_flagged) == (0, None, False)


async def test_a_page_is_news_when_its_main_text_gains_a_matching_paragraph(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    page = "<html><head><title>Court</title></head><body><nav>{nav}</nav><main>{main}</main>"
    url = site.put("/court", page.format(nav="Menu", main="<p>No hearings.</p>"), content_type=HTML)
    watched = add_source(sessions, site, url, ["Agadil"], now=clock())
    await _check(sessions, site, clock)
    site.put("/court", page.format(nav="Menu (new)", main="<p>No hearings.</p>"), content_type=HTML)
    make_due(sessions, clock.advance(hours=1))
    await _check(sessions, site, clock)
    assert notices(sessions) == []  # navigation changed, the main text did not

    main = "<p>No hearings.</p><p>Weather.</p><p>Agadil appeal: 5 December.</p>"
    site.put("/court", page.format(nav="Menu", main=main), content_type=HTML)
    make_due(sessions, clock.advance(hours=1))
    await _check(sessions, site, clock)
    [news] = notices(sessions)
    assert "Agadil appeal: 5 December." in news.texts["en"]
    assert source(sessions, watched).kind == "page"


async def test_a_redirect_to_a_metadata_address_is_refused_and_shown(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    site.put("/feed", "", location="http://①⑥⑨.②⑤④.①⑥⑨.②⑤④/latest/meta-data/")
    tricked = add_source(sessions, site, site.url + "/feed", now=clock())
    await _check(sessions, site, clock)
    stored = source(sessions, tricked).last_error
    assert stored == "refused_not_public"
    assert explain(stored, "en") == "refused: not a public address"
    assert explain(stored, "ru") == "отказано: это не публичный адрес"
    assert explain(stored, "kk") == "бас тартылды: бұл жария мекенжай емес"


async def test_two_watchers_never_check_one_source_at_once(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock
) -> None:
    add_source(sessions, site, site.put("/feed.xml", rss(*OLD), delay=0.3), now=clock())
    first, second = (Watcher(sessions, watch_config(site), clock=clock) for _ in range(2))
    await asyncio.gather(first.check_once(), second.check_once())
    assert site.hits("/feed.xml") == 1
    assert first.stats.checks + second.stats.checks == 1


@pytest.mark.parametrize("status", ["closed"])
async def test_sources_of_a_closed_case_are_not_checked(
    sessions: sessionmaker[Session], case: str, site: Site, clock: Clock, status: str
) -> None:
    add_source(sessions, site, site.put("/feed.xml", rss(*OLD)), now=clock())
    with sessions.begin() as session:
        row = session.scalars(select(Case).where(Case.ref == case)).one()
        row.status, row.outcome = status, "released"
    await _check(sessions, site, clock)
    assert site.requests == []
    with sessions() as session:  # nor do they keep an idle watcher awake
        assert next_due_at(session) is None


async def test_the_watcher_thread_checks_due_sources_and_stops_promptly(
    sessions: sessionmaker[Session], case: str, site: Site
) -> None:
    fast = add_source(sessions, site, site.put("/fast.xml", rss(*OLD)))
    add_source(sessions, site, site.put("/slow.xml", rss(*OLD), delay=5))
    stop = asyncio.Event()
    worker = asyncio.create_task(stop.wait())  # stands in for the delivery worker
    running = asyncio.create_task(beside(worker, Watcher(sessions, watch_config(site, 10)), stop))
    for _ in range(100):  # the watcher's own thread checks what is due
        if source(sessions, fast).last_check_at is not None:
            break
        await asyncio.sleep(0.05)
    assert source(sessions, fast).last_ok_at is not None
    started = time.monotonic()
    stop.set()
    await asyncio.wait_for(running, 5)
    assert time.monotonic() - started < 2  # the slow fetch in flight was dropped, not awaited
    assert site.hits("/slow.xml") == 1
