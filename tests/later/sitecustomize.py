"""`make test-later`: every Python process of the run lives years ahead of the calendar.

The Makefile puts this folder on PYTHONPATH and sets UABOT_TEST_LATER (e.g. "+3y"), so Python
imports this module at start-up in pytest and in every Python process a test starts (the
scheduler's and the worker's subprocesses, the CLI). time-machine moves the wall clock
(`time.time`, `datetime.now`, `date.today`) and lets it tick on from there; the monotonic clocks
that timeouts, sleeps and asyncio use are left alone. Debian's libfaketime was tried first: it
moves CLOCK_MONOTONIC too, and a timed lock wait in Python then never wakes.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

_OFFSET = os.environ.get("UABOT_TEST_LATER", "")
_UNITS = {"d": 1, "y": 365}


def _days(offset: str) -> int:
    match = re.fullmatch(r"\+(\d+)([dy])", offset.strip())
    if match is None:
        raise SystemExit(f"UABOT_TEST_LATER={offset!r}: expected +Ny or +Nd, e.g. +3y")
    return int(match[1]) * _UNITS[match[2]]


if _OFFSET:
    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(days=_days(_OFFSET)), tick=True).start()
