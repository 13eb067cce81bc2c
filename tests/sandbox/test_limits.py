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
