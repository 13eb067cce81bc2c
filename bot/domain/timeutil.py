"""Deadlines typed by people: a local date and time in the case's country time zone."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.errors import InvalidDeadline

DEFAULT_TIME = time(23, 59)


def parse_local_deadline(date_text: str, time_text: str | None, tz: str) -> datetime:
    """'2026-12-01' ['18:00'] read in `tz`; end of day when no time is given."""
    try:
        day = date.fromisoformat(date_text.strip())
        at = time.fromisoformat(time_text.strip()) if time_text else DEFAULT_TIME
    except ValueError:
        raise InvalidDeadline() from None
    if len(date_text.strip()) != 10:
        raise InvalidDeadline()
    return datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=ZoneInfo(tz))
