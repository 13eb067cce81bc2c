"""Telegram's answers mapped to outcomes, in one place; and what each subscriber receives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.delivery import message
from bot.delivery.outbox import BLOCKED, FAILED, GONE, RETRY, AlertContent, Claimed, Outcome
from bot.delivery.outcomes import RetryPolicy, classify

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
POLICY = RetryPolicy(base=2, cap=60, deadline=3600)


def _row(attempts: int = 1) -> Claimed:
    return Claimed(1, 2, 3, 42, "en", "active", attempts)


def _classify(exc: TelegramError, attempts: int = 1, published_at: datetime = NOW) -> Outcome:
    return classify(
        _row(attempts),
        exc,
        now=NOW,
        published_at=published_at,
        policy=POLICY,
        rng=random.Random(1),
    )


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), BLOCKED),
        (Forbidden("Forbidden: user is deactivated"), GONE),
        (BadRequest("Bad Request: chat not found"), GONE),
        (BadRequest("Bad Request: message is too long"), FAILED),
        (TimedOut(), RETRY),
        (NetworkError("Bad Gateway"), RETRY),
        (Conflict("Conflict: something odd"), RETRY),
    ],
)
def test_each_answer_has_one_outcome(error: TelegramError, kind: str) -> None:
    assert _classify(error).kind == kind


def test_a_429_goes_back_in_the_queue_after_retry_after() -> None:
    outcome = _classify(RetryAfter(7))
    assert (outcome.kind, outcome.retry_at) == (RETRY, NOW + timedelta(seconds=7))


def test_backoff_doubles_with_jitter_and_stops_at_the_cap() -> None:
    waits = [_wait(_classify(TimedOut(), attempts)) for attempts in (1, 2, 3, 9)]
    assert 1 <= waits[0] <= 2 and 2 <= waits[1] <= 4 and 4 <= waits[2] <= 8
    assert 30 <= waits[3] <= 60


def _wait(outcome: Outcome) -> float:
    assert outcome.retry_at is not None
    return (outcome.retry_at - NOW).total_seconds()


def test_past_the_deadline_a_transient_failure_is_given_up() -> None:
    outcome = _classify(TimedOut(), 5, published_at=NOW - timedelta(hours=2))
    assert outcome.kind == FAILED
    assert (outcome.error or "").startswith("gave up after 5")


def _content(kind: str = "new", **texts: str) -> AlertContent:
    return AlertContent(1, kind, texts or {"en": "<b>EN</b>", "ru": "RU"}, "KZ-2026-001", NOW)


def test_a_subscriber_reads_their_language_or_the_nearest_one() -> None:
    assert message.text_for(_content(), "ru") == "RU"
    assert message.text_for(_content(), "kk") == "RU"  # Kazakh readers fall back to Russian
    assert message.text_for(_content(en="EN"), "kk") == "EN"
    assert message.text_for(_content(ru="RU only"), "en") == "RU only"


def test_case_alerts_carry_the_letter_and_acted_buttons() -> None:
    keyboard = message.buttons_for(_content(), "ru")
    assert keyboard is not None
    buttons = keyboard.inline_keyboard[0]
    assert [b.callback_data for b in buttons] == ["letter:KZ-2026-001", "acted:KZ-2026-001"]
    assert buttons[0].text == message.render("buttons.txt", "ru", name="letter")
    assert message.buttons_for(_content("closed"), "en") is None
