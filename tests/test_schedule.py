"""bot/schedule.py: what is due when, from plain values and a `now` the test chooses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ConfigError, load_settings
from bot.schedule import (
    DIGEST,
    CaseClock,
    DigestClock,
    Policy,
    candidate_keys,
    digest_slots,
    is_due,
    next_reminder,
    offset_label,
    parse_offsets,
    plan,
)

H = timedelta(hours=1)
PUBLISHED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DEADLINE = PUBLISHED + 10 * 24 * H
POLICY = Policy()


def case(**changes: object) -> CaseClock:
    values: dict[str, object] = {
        "case_id": 7,
        "ref": "KZ-2026-001",
        "deadline": DEADLINE,
        "deadline_version": 1,
        "published_at": PUBLISHED,
        "last_update_at": PUBLISHED,
    }
    return CaseClock(**(values | changes))  # type: ignore[arg-type]


def keys(jobs: list) -> list[str]:
    return [job.key for job in jobs]


def test_offsets_parse_longest_first_without_repeats() -> None:
    assert parse_offsets("6h, 48h,2d ,90m") == (48 * H, 6 * H, timedelta(minutes=90))
    assert [offset_label(o) for o in parse_offsets("3d,90m")] == ["72h", "90m"]


@pytest.mark.parametrize("value", ["", "48", "6 hours", "0h", "-6h", "48h;6h"])
def test_bad_offsets_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="such as 48h,6h"):
        parse_offsets(value)


def test_a_bad_reminder_setting_stops_start_up_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REMINDER_OFFSETS", "soon")
    with pytest.raises(ConfigError, match="REMINDER_OFFSETS must be durations"):
        load_settings()


def test_reminders_fall_due_at_each_offset_before_the_deadline() -> None:
    at_48h = plan([case()], [], DEADLINE - 48 * H, POLICY, set())
    assert keys(at_48h.due) == ["reminder:7:v1:48h"]
    assert "reminder:7:v1:6h" in keys(at_48h.upcoming)
    just_before = plan([case()], [], DEADLINE - 48 * H - timedelta(seconds=1), POLICY, set())
    assert not just_before.due


def test_a_reminder_already_queued_is_not_due_again() -> None:
    later = plan([case()], [], DEADLINE - 47 * H, POLICY, {"reminder:7:v1:48h"})
    assert later.due == []


def test_after_downtime_only_the_latest_missed_reminder_is_due() -> None:
    now = DEADLINE - 5 * H
    assert keys(plan([case()], [], now, POLICY, set()).due) == ["reminder:7:v1:6h"]
    # and once it went, the 48 h one it stood in for never follows
    assert plan([case()], [], now, POLICY, {"reminder:7:v1:6h"}).due == []


def test_a_reminder_missed_until_past_the_deadline_is_skipped_not_sent() -> None:
    result = plan([case()], [], DEADLINE + H, POLICY, set())
    assert keys(result.skipped) == ["reminder:7:v1:6h"]
    assert keys(result.due) == ["deadline_passed:7:v1"]


def test_no_reminder_falls_due_before_publication() -> None:
    """A case published 5 h before its deadline: the 'new' alert said it all."""
    late = case(published_at=DEADLINE - 5 * H, last_update_at=DEADLINE - 5 * H)
    assert plan([late], [], DEADLINE - 4 * H, POLICY, set()).due == []


def test_moving_a_deadline_makes_new_reminders_and_orphans_the_old_ones() -> None:
    moved = case(deadline=DEADLINE + 72 * H, deadline_version=2)
    result = plan([moved], [], DEADLINE - 48 * H, POLICY, set())
    assert result.due == []
    assert {"reminder:7:v2:48h", "reminder:7:v2:6h"} <= set(keys(result.upcoming))
    assert not any(":v1:" in key for key in keys(result.upcoming))


def test_moving_a_deadline_closer_reminds_at_once_with_the_new_version() -> None:
    """Four days after publication the deadline moves to 30 h from now: remind now."""
    now = PUBLISHED + 100 * H
    closer = case(deadline=now + 30 * H, deadline_version=2)
    assert keys(plan([closer], [], now, POLICY, set()).due) == ["reminder:7:v2:48h"]


def test_is_due_judges_a_job_against_the_case_as_it_is_now() -> None:
    [job] = plan([case()], [], DEADLINE - 47 * H, POLICY, set()).due
    assert is_due(job, case(), DEADLINE - 47 * H, POLICY)
    assert not is_due(job, case(deadline_version=2), DEADLINE - 47 * H, POLICY)


def test_a_case_without_news_nudges_once_per_quiet_spell() -> None:
    now = PUBLISHED + timedelta(days=14)
    [stale] = [job for job in plan([case()], [], now, POLICY, set()).due if job.kind == "stale"]
    assert stale.key == f"stale:7:{int(PUBLISHED.timestamp())}"
    assert [j for j in plan([case()], [], now, POLICY, {stale.key}).due if j.kind == "stale"] == []
    news = case(last_update_at=PUBLISHED + timedelta(days=13))
    assert [j for j in plan([news], [], now, POLICY, set()).due if j.kind == "stale"] == []


def test_the_deadline_passed_notice_is_due_once_per_deadline_version() -> None:
    after = DEADLINE + H
    assert "deadline_passed:7:v1" in keys(plan([case()], [], after, POLICY, set()).due)
    done = {"deadline_passed:7:v1", "reminder:7:v1:6h"}
    assert "deadline_passed:7:v1" not in keys(plan([case()], [], after, POLICY, done).due)


def test_a_digest_goes_at_the_subscribers_hour_in_their_time_zone() -> None:
    # 08:00 in Almaty (UTC+5) is 03:00 UTC; a copy held at 01:00 UTC goes at 03:00 UTC
    held = DigestClock(3, "Asia/Almaty", 8, datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    slot = next(digest_slots(held))
    assert slot.at == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert slot.key == "digest:3:2026-03-02"
    assert plan([], [held], slot.at - timedelta(seconds=1), POLICY, set()).due == []
    assert keys(plan([], [held], slot.at, POLICY, set()).due) == ["digest:3:2026-03-02"]


def test_a_copy_held_after_the_days_digest_waits_for_the_next_one() -> None:
    held = DigestClock(3, "UTC", 9, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert next(digest_slots(held)).key == "digest:3:2026-03-03"


def test_a_copy_that_missed_a_digest_already_sent_goes_in_the_next() -> None:
    held = DigestClock(3, "UTC", 9, datetime(2026, 3, 2, 8, 59, tzinfo=UTC))
    now = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    result = plan([], [held], now, POLICY, {"digest:3:2026-03-02"})
    assert result.due == [] and keys(result.upcoming) == ["digest:3:2026-03-03"]
    assert candidate_keys([], [held], now, POLICY) == ["digest:3:2026-03-02"]


def test_only_jobs_whose_time_has_come_need_looking_up() -> None:
    now = DEADLINE - 47 * H
    assert candidate_keys([case()], [], now, POLICY) == ["reminder:7:v1:48h"]


def test_digests_of_one_moment_share_one_wake_up() -> None:
    first = next(digest_slots(DigestClock(1, "UTC", 9, PUBLISHED)))
    second = next(digest_slots(DigestClock(2, "Europe/London", 9, PUBLISHED)))
    assert first.kind == DIGEST and first.name == second.name


def test_an_unknown_time_zone_counts_as_utc() -> None:
    slot = next(digest_slots(DigestClock(1, "Mars/Olympus", 9, PUBLISHED)))
    assert slot.at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_next_reminder_is_the_soonest_still_to_come() -> None:
    assert next_reminder(case(), PUBLISHED, POLICY) == DEADLINE - 48 * H
    assert next_reminder(case(), DEADLINE - 47 * H, POLICY) == DEADLINE - 6 * H
    assert next_reminder(case(), DEADLINE - H, POLICY) is None
    assert next_reminder(case(deadline=None), PUBLISHED, POLICY) is None
