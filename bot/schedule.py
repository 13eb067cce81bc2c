"""What is due when: deadline reminders, deadline-passed and stale-case notices, digests.

Pure: no clock, no database. The caller passes `now`, the rows it loaded and the dedupe keys
already taken (`done`); every job is named by the dedupe key its alert will carry, so the
database's unique rule on alerts.dedupe_key is what makes a job run once, whoever runs it.

Reminders: one per offset before the deadline (REMINDER_OFFSETS), keyed by the deadline's
version, so moving a deadline makes new jobs and orphans the old ones. A reminder whose
time came before the case was published is never due (the 'new' alert carried the
deadline). Of the reminders whose time has come only the latest counts: after downtime the
6 h reminder goes once, not the 48 h one and then the 6 h one; if the deadline itself has
passed meanwhile, it is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, takewhile
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.models import Case

REMINDER = "reminder"
DEADLINE_PASSED = "deadline_passed"
STALE = "stale"
DIGEST = "digest"

DEFAULT_OFFSETS = (timedelta(hours=48), timedelta(hours=6))
DEFAULT_STALE_AFTER = timedelta(days=14)
# A digest's slot key may already be taken (the digest went out, a late row missed it):
# the next slots are the fallbacks, and this many are looked up at once.
DIGEST_SLOTS_CHECKED = 3
_UNITS = {"d": 86_400, "h": 3_600, "m": 60}
_OFFSET = re.compile(r"(\d{1,5})\s*([dhm])")


def parse_offsets(value: str) -> tuple[timedelta, ...]:
    """'48h,6h' → (48 h, 6 h), longest first, without repeats; ValueError says what is wrong."""
    parts = [part.strip().lower() for part in value.split(",") if part.strip()]
    if not parts:
        raise ValueError("must list at least one duration, such as 48h,6h")
    offsets = set()
    for part in parts:
        match = _OFFSET.fullmatch(part)
        if match is None or int(match[1]) == 0:
            raise ValueError("must be durations in d, h or m, such as 48h,6h or 3d,90m")
        offsets.add(timedelta(seconds=int(match[1]) * _UNITS[match[2]]))
    return tuple(sorted(offsets, reverse=True))


def offset_label(offset: timedelta) -> str:
    """The offset as it appears in a dedupe key: stable however the setting spells it."""
    minutes = int(offset.total_seconds()) // 60
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


@dataclass(frozen=True)
class Policy:
    reminder_offsets: tuple[timedelta, ...] = DEFAULT_OFFSETS
    stale_after: timedelta = DEFAULT_STALE_AFTER

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(settings.reminder_offsets, timedelta(days=settings.STALE_AFTER_DAYS))


@dataclass(frozen=True)
class CaseClock:
    """What the schedule needs of an active case."""

    case_id: int
    ref: str
    deadline: datetime | None
    deadline_version: int
    published_at: datetime | None
    last_update_at: datetime | None

    @classmethod
    def of(cls, case: Case) -> CaseClock:
        return cls(
            case.id,
            case.ref,
            case.deadline,
            case.deadline_version,
            case.published_at,
            case.last_update_at,
        )


@dataclass(frozen=True)
class DigestClock:
    """A subscriber with held copies: when the oldest was published, and their digest hour."""

    subscriber_id: int
    timezone: str
    hour: int
    oldest_held: datetime


@dataclass(frozen=True)
class Job:
    kind: str
    key: str  # the alert's dedupe key
    at: datetime
    case_id: int | None = None
    ref: str | None = None
    subscriber_id: int | None = None
    offset: timedelta | None = None

    def describe(self) -> str:
        """For log lines: 'reminder 6h KZ-2026-001', 'digest subscriber 12'."""
        what = f"{self.kind} {offset_label(self.offset)}" if self.offset else self.kind
        return f"{what} {self.ref or f'subscriber {self.subscriber_id}'}"

    @property
    def name(self) -> str:
        """The wake-up job's name: digests due at one moment share one."""
        return f"{DIGEST}@{self.at.isoformat()}" if self.kind == DIGEST else self.key


@dataclass
class Plan:
    due: list[Job] = field(default_factory=list)
    upcoming: list[Job] = field(default_factory=list)
    skipped: list[Job] = field(default_factory=list)  # reminders missed until past the deadline

    def next_at(self) -> datetime | None:
        return min((job.at for job in self.upcoming), default=None)


def reminders(case: CaseClock, policy: Policy) -> list[Job]:
    if case.deadline is None:
        return []
    jobs = []
    for offset in policy.reminder_offsets:
        at = case.deadline - offset
        if case.published_at is not None and at <= case.published_at:
            continue
        key = f"{REMINDER}:{case.case_id}:v{case.deadline_version}:{offset_label(offset)}"
        jobs.append(Job(REMINDER, key, at, case.case_id, case.ref, offset=offset))
    return jobs


def deadline_passed(case: CaseClock) -> Job | None:
    if case.deadline is None:
        return None
    key = f"{DEADLINE_PASSED}:{case.case_id}:v{case.deadline_version}"
    return Job(DEADLINE_PASSED, key, case.deadline, case.case_id, case.ref)


def stale(case: CaseClock, policy: Policy) -> Job | None:
    """Once per quiet spell: the key names the last news, so new news starts a new spell."""
    quiet_since = case.last_update_at or case.published_at
    if quiet_since is None:
        return None
    key = f"{STALE}:{case.case_id}:{int(quiet_since.timestamp())}"
    return Job(STALE, key, quiet_since + policy.stale_after, case.case_id, case.ref)


def digest_slots(digest: DigestClock) -> Iterator[Job]:
    """Digest jobs at the subscriber's hour, from the first at or after the oldest held copy."""
    zone = _zone(digest.timezone)
    day = digest.oldest_held.astimezone(zone).date()
    while True:
        at = _local(day, digest.hour, zone)
        if at >= digest.oldest_held:
            key = f"{DIGEST}:{digest.subscriber_id}:{day.isoformat()}"
            yield Job(DIGEST, key, at, subscriber_id=digest.subscriber_id)
        day += timedelta(days=1)


def candidate_keys(
    cases: Iterable[CaseClock], digests: Iterable[DigestClock], now: datetime, policy: Policy
) -> list[str]:
    """The keys `plan` needs looked up: look them up and pass those taken as `done`.

    Only jobs whose time has come: one still to come cannot have been queued, so the lookup
    stays small however many cases are active.
    """
    jobs = [job for case in cases for job in _case_jobs(case, policy)]
    for digest in digests:
        # Slots come in time order: the first still to come ends the lookup (and the cost of
        # working out local times, for every digest subscriber at every cycle).
        slots = islice(digest_slots(digest), DIGEST_SLOTS_CHECKED)
        jobs += takewhile(lambda job: job.at <= now, slots)
    return [job.key for job in jobs if job.at <= now]


def plan(
    cases: Iterable[CaseClock],
    digests: Iterable[DigestClock],
    now: datetime,
    policy: Policy,
    done: set[str],
) -> Plan:
    result = Plan()
    for case in cases:
        _plan_reminders(result, case, reminders(case, policy), now, done)
        for job in (deadline_passed(case), stale(case, policy)):
            if job is not None:
                _place(result, job, now, done)
    for digest in digests:
        slot = next(job for job in digest_slots(digest) if job.key not in done)
        _place(result, slot, now, done)
    return result


def is_due(job: Job, case: CaseClock, now: datetime, policy: Policy) -> bool:
    """Is this case job still due, judged from the case as it is now (locked by the caller)?"""
    return any(due.key == job.key for due in plan([case], [], now, policy, set()).due)


def next_reminder(case: CaseClock, now: datetime, policy: Policy) -> datetime | None:
    """When the case's next reminder falls due (None: no more before the deadline)."""
    return min((job.at for job in reminders(case, policy) if job.at > now), default=None)


def _case_jobs(case: CaseClock, policy: Policy) -> list[Job]:
    jobs = reminders(case, policy)
    return jobs + [j for j in (deadline_passed(case), stale(case, policy)) if j is not None]


def _plan_reminders(
    result: Plan, case: CaseClock, jobs: list[Job], now: datetime, done: set[str]
) -> None:
    result.upcoming += [job for job in jobs if job.at > now and job.key not in done]
    passed = [job for job in jobs if job.at <= now]
    if not passed:
        return
    latest = max(passed, key=lambda job: job.at)
    if latest.key in done:
        return
    if case.deadline is not None and case.deadline <= now:
        result.skipped.append(latest)
    else:
        result.due.append(latest)


def _place(result: Plan, job: Job, now: datetime, done: set[str]) -> None:
    if job.key in done:
        return
    (result.due if job.at <= now else result.upcoming).append(job)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(day: date, hour: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
