"""The token buckets behind the flood limits, on a clock the test holds."""

from __future__ import annotations

from bot.sandbox.limits import FloodLimiter, TokenBucket


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(rate=1.0, burst=2)

    assert [bucket.try_take(0.0), bucket.try_take(0.0)] == [0.0, 0.0]
    assert 0.9 < bucket.try_take(0.0) <= 1.0


def test_a_bucket_forgives_50_ms_of_jitter_but_not_more() -> None:
    bucket = TokenBucket(rate=1.0, burst=1)
    bucket.try_take(0.0)

    assert bucket.try_take(0.96) == 0.0  # came 40 ms early
    assert bucket.try_take(1.90) > 0  # 60 ms early, counting from when it was due


def test_jitter_credit_does_not_add_up_to_a_higher_rate() -> None:
    bucket = TokenBucket(rate=1.0, burst=1)
    allowed = [t / 100 for t in range(0, 1000, 95) if bucket.try_take(t / 100) == 0.0]

    assert len(allowed) <= 10  # ten seconds at 1/s, whatever the spacing


def test_the_limiter_answers_whole_seconds_at_least_one() -> None:
    limiter = FloodLimiter(per_chat_rate=1.0, per_chat_burst=1)
    limiter.check(42, 0.0)

    assert limiter.check(42, 0.5) == 1
    assert FloodLimiter(per_chat_rate=0.25, per_chat_burst=1).check(1, 0.0) == 0


def test_a_chat_refused_by_the_global_bucket_keeps_its_own_token() -> None:
    limiter = FloodLimiter(global_rate=1.0, global_burst=1, per_chat_rate=1.0, per_chat_burst=1)
    assert limiter.check(1, 0.0) == 0

    assert limiter.check(2, 0.0) == 1
    assert limiter.check(2, 1.0) == 0  # chat 2's bucket was not spent by the refusal


def test_no_rate_means_no_limit() -> None:
    limiter = FloodLimiter()

    assert all(limiter.check(42, 0.0) == 0 for _ in range(1000))


def test_strict_mode_refuses_the_31st_message_in_any_one_second_window() -> None:
    limiter = FloodLimiter(global_rate=30, mode="strict")
    # 30 spread over the first half second, then one more just inside the window
    assert all(limiter.check(chat, chat / 60) == 0 for chat in range(1, 31))

    assert limiter.check(99, 0.99) == 1
    assert limiter.check(99, 1.0 + 1 / 60) == 0  # the first one has left the window


def test_strict_mode_lends_no_burst_at_a_steady_pace_plus_one() -> None:
    # 31 messages in one second, evenly spaced: a token bucket with burst 30 and its jitter
    # credit takes them all; any-one-second-window counting does not.
    lenient = FloodLimiter(global_rate=30, global_burst=30)
    strict = FloodLimiter(global_rate=30, mode="strict")
    times = [i / 31 for i in range(31)]

    assert [lenient.check(i, t) for i, t in enumerate(times, 1)] == [0] * 31
    assert [strict.check(i, t) for i, t in enumerate(times, 1)][-1] == 1


def test_strict_mode_allows_one_message_a_second_per_chat_and_no_burst_after_quiet() -> None:
    limiter = FloodLimiter(per_chat_rate=1.0, per_chat_burst=3, mode="strict")
    assert limiter.check(7, 100.0) == 0

    assert limiter.check(7, 100.5) == 1
    assert limiter.check(7, 101.0) == 0


def test_a_group_gets_20_messages_a_minute_in_either_mode() -> None:
    for mode in ("lenient", "strict"):
        limiter = FloodLimiter(group_per_minute=20, mode=mode)  # type: ignore[arg-type]
        sent = [limiter.check(-5, t / 10) for t in range(20)]
        assert sent == [0] * 20, mode
        assert limiter.check(-5, 2.0) > 0, mode  # the 21st within a minute
        assert all(limiter.check(5, t / 10) == 0 for t in range(21)), mode  # not a group


def test_strict_mode_counts_no_refused_message() -> None:
    limiter = FloodLimiter(global_rate=1, per_chat_rate=1.0, mode="strict")
    assert limiter.check(1, 0.0) == 0
    assert limiter.check(2, 0.5) == 1  # the global window is full

    assert limiter.check(2, 1.0) == 0  # chat 2's window holds nothing from the refusal
