"""A flood of one user: 50 commands in a second are slowed with one polite reply, and other
users are answered ahead of what the flooder sent past their burst."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.sandbox.local import RunningServer
from bot.telegram.flood import BURST, FloodGuard, Verdict
from bot.telegram.thread import BotThread
from bot.texts import render
from tests import demo_rows
from tests.security import conftest as sec
from tests.telegram.harness import Chat

FLOODER, OTHER = 5_550_001, 5_550_002


class Clock:
    """Time that moves only when told: the guard reads it, the test advances it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _not_staff() -> bool:
    return False


def test_a_burst_is_admitted_then_one_warning_then_silence() -> None:
    guard = FloodGuard(burst=20, rate=5, clock=Clock())
    verdicts = [guard.check(1, _not_staff) for _ in range(50)]
    assert verdicts[:20] == [Verdict.ADMIT] * 20
    assert verdicts[20] is Verdict.WARN
    assert set(verdicts[21:]) == {Verdict.DROP}


def test_a_slowed_user_is_admitted_at_the_steady_rate_and_warned_again_after_a_pause() -> None:
    clock = Clock()
    guard = FloodGuard(burst=20, rate=5, clock=clock)
    for _ in range(21):
        guard.check(1, _not_staff)
    clock.now += 0.2  # one command's worth
    assert [guard.check(1, _not_staff) for _ in range(2)] == [Verdict.ADMIT, Verdict.DROP]
    clock.now += 10  # a pause long enough to refill the bucket: a new flood, a new reply
    assert [guard.check(1, _not_staff) for _ in range(21)][-1] is Verdict.WARN


def test_other_users_have_buckets_of_their_own() -> None:
    guard = FloodGuard(burst=3, rate=1, clock=Clock())
    for _ in range(10):
        guard.check(1, _not_staff)
    assert guard.check(2, _not_staff) is Verdict.ADMIT


def test_staff_are_never_slowed_and_asked_about_only_once_past_their_burst() -> None:
    asked: list[int] = []

    def is_staff() -> bool:
        asked.append(1)
        return True

    guard = FloodGuard(burst=5, rate=1, clock=Clock())
    assert {guard.check(9, is_staff) for _ in range(100)} == {Verdict.ADMIT}
    assert len(asked) == 1


# --- through the bot --------------------------------------------------------------------


@pytest.fixture
def bot(server: RunningServer, sessions: sessionmaker[Session]) -> Iterator[BotThread]:
    with sessions.begin() as session:
        demo_rows.load_cases(session)
    with sec.start_bot(server, sessions) as running:
        yield running


def _latency(chat: Chat) -> float:
    started = time.perf_counter()
    chat.say("/help")
    return time.perf_counter() - started


def _flood(server: RunningServer, other: Chat) -> tuple[float, list[str]]:
    """50 /cases from FLOODER as fast as they go, then OTHER's /help: its latency, and what
    FLOODER got (OTHER's answer means everything before it was handled)."""
    since = (server.control.messages(FLOODER) or [{"message_id": 0}])[-1]["message_id"]
    for _ in range(50):
        server.control.send_text(FLOODER, "/cases")
    latency = _latency(other)
    flooder = [m["text"] for m in server.control.messages(FLOODER, since) if m["from_bot"]]
    return latency, flooder


def test_fifty_commands_in_a_second_are_slowed_with_one_polite_reply(
    server: RunningServer, bot: BotThread
) -> None:
    # The guard's clock stands still while the flood arrives, so the fifty come "within a
    # second" however slowly this machine injects them; then it moves half a second on.
    clock = [0.0]
    bot.application.bot_data.flood_guard = FloodGuard(clock=lambda: clock[0])
    other = Chat(server.control, OTHER)
    baseline = statistics.median(_latency(other) for _ in range(5))
    latency, flooder = _flood(server, other)

    polite = render("bot/slow_down.html", "en")
    assert flooder.count(polite) == 1
    answered = len(flooder) - 1
    assert answered == BURST  # the burst; no time passed for the steady rate to add any
    clock[0] += 0.5  # a short pause earns a command or two again
    assert "urgent actions" in Chat(server.control, FLOODER).text("/cases")

    # The same flood with no guard (a bucket nobody can empty), for comparison.
    bot.application.bot_data.flood_guard = FloodGuard(burst=1e9)
    unguarded, flooded = _flood(server, other)
    assert len(flooded) == 50 and polite not in flooded
    print(
        f"\nflood: 50 commands from one user -> {answered} answered, 1 polite reply, "
        f"{50 - answered - 1} dropped; other user's /help {latency * 1000:.0f} ms "
        f"(baseline {baseline * 1000:.0f} ms, {unguarded * 1000:.0f} ms without the guard)"
    )
