"""The one place the tests take "now" from.

`NOW` is read once, from the clock the code under test uses (`bot.store.models.utcnow`), so a
test that hands the domain a date "two weeks ahead" means two weeks after the moment the suite
started, whatever the calendar says. Tests that need the calendar to stand still pass a fixed
`now=` to the code instead; those are the only places a fixed year may appear.
`make test-later` runs the whole suite with every clock of the process moved years ahead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.store.models import utcnow

NOW = utcnow().replace(microsecond=0)


def ahead(days: int = 0, hours: int = 0) -> datetime:
    """A moment `days` and `hours` after NOW (UTC)."""
    return NOW + timedelta(days=days, hours=hours)


def day(days: int, tz: str = "Asia/Almaty") -> str:
    """The calendar date `days` from NOW in `tz`, as a person types it: '2027-03-02'."""
    return (NOW + timedelta(days=days)).astimezone(ZoneInfo(tz)).date().isoformat()


def typed_deadline(days: int, at: str = "18:00", tz: str = "Asia/Almaty") -> str:
    """A deadline as a coordinator types it, `days` ahead: '2027-03-02 18:00'."""
    return f"{day(days, tz)} {at}"
