"""The sender against the local Bot API server's fault injection. Each test asserts from the
server's own counters that every active subscriber got exactly one copy."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.limiter import Pacer
from bot.delivery.sender import Sender
from bot.domain import actions, cases, demo, subscriptions
from bot.domain.staff import SYSTEM
from bot.sandbox.local import RunningServer
from bot.store.db import is_postgresql
from bot.store.models import Delivery
from tests.delivery.conftest import (
    REF,
    bot_for,
    chats_with_status,
    claimed_rows,
    delivery_statuses,
    drain,
    fast_config,
    publish_update,
    subscribe_and_publish,
    tally,
)

SUBSCRIBERS = 1000
ALL = set(range(1, SUBSCRIBERS + 1))
FEWER = 300  # where the outcome, not the volume, is under test
SOME = set(range(1, FEWER + 1))


async def test_it_sends_1000_subscribers_one_copy_each_without_a_single_429(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    server.control.configure(global_rate=600, global_burst=30, per_chat_rate=1, per_chat_burst=1)
    assert subscribe_and_publish(sessions, SUBSCRIBERS) == SUBSCRIBERS

    sender = await drain(engine, server, Pacer(500, 1))

    seen = tally(server)
    assert seen.status["429"] == 0
    assert seen.missing(ALL) == set()
    assert seen.duplicates == 0
    assert set(seen.delivered) == ALL
    assert delivery_statuses(sessions) == {"sent": SUBSCRIBERS}
    assert claimed_rows(sessions) == 0
    assert sender.pacer.stats.retry_afters == 0
    with sessions() as session:
        unnumbered = select(func.count()).where(Delivery.telegram_message_id.is_(None))
        assert session.scalar(unnumbered) == 0


async def test_it_delivers_everything_once_through_5xx_and_dropped_connections(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    server.control.configure(fail_rate=0.1, drop_rate=0.1)
    subscribe_and_publish(sessions, FEWER)

    sender = await drain(engine, server, Pacer(None, None))

    seen = tally(server)
    assert seen.status["5xx"] > 15 and seen.status["dropped"] > 15  # the faults did happen
    assert seen.missing(SOME) == set()
    assert seen.duplicates == 0
    assert delivery_statuses(sessions) == {"sent": FEWER}
    assert sender.stats.outcomes["retry"] == seen.status["5xx"] + seen.status["dropped"]


async def test_it_marks_blocked_and_gone_chats_once_and_leaves_them_out_of_the_next_alert(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    blocked = {chat for chat in SOME if chat % 20 == 0}  # 5%
    gone = {chat for chat in SOME if chat % 50 == 25}  # 2%
    active = SOME - blocked - gone
    server.control.configure(blocked_chats=sorted(blocked), gone_chats=sorted(gone))
    subscribe_and_publish(sessions, FEWER)

    await drain(engine, server, Pacer(None, None))

    seen = tally(server)
    assert (seen.status["403"], seen.status["400"]) == (len(blocked), len(gone))  # not retried
    assert set(seen.delivered) == active and seen.duplicates == 0
    assert chats_with_status(sessions, "blocked") == blocked
    assert chats_with_status(sessions, "gone") == gone

    assert publish_update(sessions) == len(active)
    await drain(engine, server, Pacer(None, None))

    seen = tally(server)
    assert (seen.status["403"], seen.status["400"]) == (len(blocked), len(gone))
    assert seen.missing(active, copies=2) == set()
    assert max(seen.delivered.values()) == 2
    with sessions() as session:
        stats = actions.case_stats(session, REF)
    assert (stats.blocked, stats.gone) == (len(blocked), len(gone))
    assert stats.delivered == 2 * len(active)
    assert stats.failed == len(blocked) + len(gone)


async def test_a_429_storm_is_honoured_with_a_handful_of_429s_not_one_per_message(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    subscribers = 60
    subscribe_and_publish(sessions, subscribers)
    pacer = Pacer(100, None)
    broadcast = asyncio.create_task(drain(engine, server, pacer, fast_config(concurrency=4)))
    await server.acontrol.wait(30, timeout=10)  # about 30 sent: chats go out in id order
    # Telegram lowers the bot's limit mid-broadcast to 10 a second, far below the pace of
    # four requests in flight even on a loaded machine (a slow machine must not be what
    # keeps the 429s away); nobody tells the sender.
    await server.acontrol.configure(global_rate=10, global_burst=2)

    await broadcast

    seen = tally(server)
    print(f"\n429 storm: {seen.status['429']} × 429, pace now {pacer.rate or 0:.1f}/s")
    assert 1 <= seen.status["429"] <= 9
    assert pacer.stats.retry_afters == seen.status["429"]
    assert seen.missing(set(range(1, subscribers + 1))) == set()
    assert seen.duplicates == 0
    assert delivery_statuses(sessions) == {"sent": subscribers}


async def test_a_closed_sender_releases_what_it_claimed_but_never_sent(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    subscribe_and_publish(sessions, 200)
    stop = asyncio.Event()
    async with bot_for(server) as bot:
        sender = Sender(engine, bot, Pacer(50, 1), fast_config())
        running = asyncio.create_task(sender.run(stop))
        await server.acontrol.wait(20, timeout=10)
        stop.set()
        await running

    seen = tally(server)
    statuses = delivery_statuses(sessions)
    assert statuses["sent"] == sum(seen.delivered.values())  # every send was recorded
    assert statuses["pending"] == 200 - statuses["sent"]
    assert claimed_rows(sessions) == 0


async def test_a_group_that_became_a_supergroup_gets_the_alert_at_its_new_id(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    server.control.configure(migrated_chats={"5": -1_000_005})
    subscribe_and_publish(sessions, 10)

    await drain(engine, server, Pacer(None, None))

    seen = tally(server)
    assert seen.delivered[-1_000_005] == 1 and seen.delivered[5] == 0
    assert seen.missing(set(range(1, 11)) - {5}) == set()
    assert delivery_statuses(sessions) == {"sent": 10}
    assert -1_000_005 in chats_with_status(sessions, "active")


async def test_each_subscriber_reads_the_deadline_in_their_own_time_zone_too(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    with sessions.begin() as session:
        demo.load(session, subscribers=3)
        subscriptions.set_timezone(session, 2, "Europe/Berlin")
        subscriptions.set_timezone(session, 3, "Asia/Almaty")  # the case's own
        deadline = cases.get_case(session, REF).deadline
        cases.publish(session, SYSTEM, REF)

    await drain(engine, server, Pacer(None, None))

    assert deadline is not None
    texts = {chat: server.control.messages(chat)[-1]["text"] for chat in (1, 2, 3)}
    in_almaty = _clock(deadline, "Asia/Almaty")
    assert in_almaty in texts[1] and _clock(deadline, "UTC") in texts[1]
    assert in_almaty in texts[2] and _clock(deadline, "Europe/Berlin") in texts[2]
    assert in_almaty in texts[3] and "(UTC)" not in texts[3] and "Berlin" not in texts[3]


def _clock(when: datetime, zone: str) -> str:
    """'23:59 (Almaty)': how an English alert writes a time in a zone (the zone's city)."""
    return f"{when.astimezone(ZoneInfo(zone)):%H:%M} ({zone.split('/')[-1]})"


async def test_a_database_connection_lost_mid_broadcast_loses_nothing(
    engine: Engine,
    sessions: sessionmaker[Session],
    server: RunningServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not is_postgresql(engine):
        pytest.skip("a server that drops connections: PostgreSQL's (SQLite is a file)")
    subscribe_and_publish(sessions, FEWER)
    config = fast_config()
    broadcast = asyncio.create_task(drain(engine, server, Pacer(300, None), config))
    await server.acontrol.wait(FEWER // 3, timeout=10)  # a third sent: ids go out in order
    with engine.begin() as connection:  # as a restart of the server would
        dropped = connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert dropped >= 1  # the sender's own connection among them
    assert tally(server).delivered.total() < FEWER  # mid-broadcast indeed
    await broadcast

    failed = [r for r in caplog.records if r.name == "uabot.delivery.sender"]
    assert failed  # it met the dead connection (claiming or recording) and went on
    seen = tally(server)
    print(f"connection lost mid-broadcast: {seen.duplicates} duplicate(s)")
    assert seen.missing(SOME) == set()
    assert seen.duplicates <= config.batch_size  # at-least-once: only sends not yet recorded
    assert delivery_statuses(sessions) == {"sent": FEWER}
    assert claimed_rows(sessions) == 0
