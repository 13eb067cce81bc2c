"""The scheduler inside the running bot, judged by what the local Bot API server received:
reminders only to followers who have not acted, a moved deadline moves them, closing
cancels them, a restart sends a missed one exactly once, and digests bundle a day."""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.domain.staff import SYSTEM
from tests.scheduler.conftest import (
    COORDINATOR_ID,
    REF,
    Clock,
    Live,
    delivery_statuses,
    follow_all,
    publish_case,
)
from tests.telegram.harness import Chat, as_seen, button_data

H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
URGENT = "URGENT ACTION"
REMINDER = "REMINDER"


def test_a_follower_who_acted_is_not_reminded_again(
    live: Live, sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11, 12)
    deadline = publish_case(sessions, clock)
    live.start()
    control = live.server.control
    control.wait(11, count=1)
    [alert] = [as_seen(m) for m in control.wait(12, count=1)]

    clock.set(deadline - 48 * H + MINUTE)
    live.settle()
    assert [len(live.received(chat, REMINDER)) for chat in (11, 12)] == [1, 1]
    acted = Chat(control, 12).press(alert, button_data(alert, "acted:"))
    assert "1" in acted[0]["text"]

    clock.set(deadline - 6 * H + MINUTE)
    live.settle()
    assert len(live.received(12, REMINDER)) == 1
    [_, last] = live.received(11, REMINDER)
    assert "6 hours left" in last["plain_text"]
    assert button_data(last, "letter:") and button_data(last, "acted:")


def test_a_reminder_shows_the_deadline_in_the_readers_time_zone_they_chose(
    live: Live, sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11, 12)
    deadline = publish_case(sessions, clock)
    live.start()
    control = live.server.control
    control.wait(12, count=1)  # the alert first, so that the next message is the reply
    assert "Europe/Berlin" in Chat(control, 12).text("/settings tz Europe/Berlin")

    clock.set(deadline - 6 * H + MINUTE)
    live.settle()
    [to_utc] = live.received(11, REMINDER)
    [to_berlin] = live.received(12, REMINDER)
    berlin = f"{deadline.astimezone(ZoneInfo('Europe/Berlin')):%H:%M} (Berlin)"
    assert berlin in to_berlin["plain_text"] and berlin not in to_utc["plain_text"]
    assert "(Almaty)" in to_berlin["plain_text"] and "(Almaty)" in to_utc["plain_text"]


def test_staff_see_the_next_reminder_in_case_and_subscribers_do_not(
    live: Live, sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11)
    publish_case(sessions, clock)
    live.start()
    coordinator = Chat(live.server.control, COORDINATOR_ID)
    assert "Next reminder to those who have not acted:" in coordinator.text(f"/case {REF}")
    assert "Next reminder" not in Chat(live.server.control, 11).text(f"/case {REF}")


def test_moving_a_deadline_moves_its_reminders(
    live: Live, sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11)
    old = publish_case(sessions, clock)
    new = old + 72 * H
    with sessions.begin() as session:
        cases.set_deadline(session, SYSTEM, REF, new, now=clock())
    live.start()

    clock.set(old - 48 * H + MINUTE)
    live.settle()
    assert live.received(11, REMINDER) == []

    clock.set(new - 48 * H + MINUTE)
    live.settle()
    [reminder] = live.received(11, REMINDER)
    assert "48 hours left" in reminder["plain_text"]


def test_closing_a_case_cancels_its_reminders_and_notices(
    live: Live, sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11)
    deadline = publish_case(sessions, clock)
    live.start()
    live.settle()
    with sessions.begin() as session:
        cases.close(session, SYSTEM, REF, "released", "He was released.", now=clock())

    for moment in (deadline - 48 * H, deadline - 6 * H, deadline, deadline + 15 * 24 * H):
        clock.set(moment + MINUTE)
        live.settle()
    assert [m["plain_text"].split()[1] for m in live.received(11, REF)] == ["URGENT", "CASE"]
    assert live.received(COORDINATOR_ID) == []


def test_the_coordinator_is_told_privately_when_the_deadline_passes(
    live: Live, sessions: sessionmaker[Session], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    follow_all(sessions, 11)
    deadline = publish_case(sessions, clock)
    live.start()
    live.settle()
    clock.set(deadline + MINUTE)
    with caplog.at_level(logging.INFO, logger="uabot.scheduler"):
        live.settle()
        live.settle()
    [notice] = live.received(COORDINATOR_ID, "DEADLINE PASSED")
    assert f"/deadline {REF}" in notice["plain_text"] and not notice.get("reply_markup")
    # both reminders fell due while the clock jumped past the deadline: skipped, logged once
    assert live.received(11, REMINDER) == []
    skips = [r for r in caplog.records if r.name == "uabot.scheduler" and "skipped" in r.message]
    assert len(skips) == 1
    assert len(live.received(COORDINATOR_ID)) == 1


def test_a_reminder_missed_while_stopped_goes_once_after_a_restart(
    live: Live, sessions: sessionmaker[Session], clock: Clock
) -> None:
    follow_all(sessions, 11)
    deadline = publish_case(sessions, clock)
    live.start()
    live.settle()
    live.stop()

    clock.set(deadline - 30 * H)  # the 48 h reminder's time passes while uabot is down
    live.start()
    live.settle()
    live.stop()
    live.start()
    live.settle()
    [reminder] = live.received(11, REMINDER)
    assert "30 hours left" in reminder["plain_text"]


def test_three_alerts_in_a_day_make_one_digest_and_three_immediate_messages(
    live: Live, sessions: sessionmaker[Session], clock: Clock
) -> None:
    day = clock().replace(hour=6, minute=0, second=0) + timedelta(days=1)
    clock.set(day)
    follow_all(sessions, 21)
    follow_all(sessions, 22, mode="digest")  # digest_hour 9, UTC by default
    live.start()
    publish_case(sessions, clock)
    for hour in (7, 8):
        clock.set(day.replace(hour=hour))
        with sessions.begin() as session:
            cases.further_information(session, SYSTEM, REF, f"News at {hour}.", now=clock())
    live.settle()
    assert len(live.received(21, REF)) == 3
    assert live.received(22) == []

    clock.set(day.replace(hour=9, minute=1))
    live.settle()
    [digest] = live.received(22)
    assert "Your daily digest: 3 alerts" in digest["plain_text"]
    assert digest["plain_text"].count(REF) >= 3

    clock.set(day.replace(hour=9, minute=1) + timedelta(days=1))
    live.settle()
    assert len(live.received(22)) == 1  # nothing when nothing
    assert len(live.received(21, REF)) == 3
    assert delivery_statuses(sessions, 22) == {"bundled": 3, "sent": 1}
