"""One fan-out in a process of its own, for bench_delivery.py: only the store and the domain
are imported, as in a publishing process, so its peak RSS is the fan-out's.

    python benchmarks/fanout_child.py URL uabot|loop   ->  one JSON line
    python benchmarks/fanout_child.py URL cli REF      ->  `uabot cases publish REF`, its RSS
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.domain import cases
from bot.domain.staff import SYSTEM
from bot.store.crypto import keyring
from bot.store.db import make_engine, make_session_factory
from bot.store.models import Alert, Delivery, Subscriber

REF = "KZ-2026-001"


def python_loop(session: Session) -> int:
    """The reference: what a loop over subscribers in Python does (ids in, rows out)."""
    alert = Alert(case_id=None, kind="new", texts={"en": "x"})
    session.add(alert)
    session.flush()
    ids = session.scalars(select(Subscriber.id).where(Subscriber.status == "active")).all()
    session.execute(
        insert(Delivery),
        [{"alert_id": alert.id, "subscriber_id": i, "status": "pending"} for i in ids],
    )
    return len(ids)


def peak_rss_mb() -> float:
    """This process's own high-water mark (getrusage's ru_maxrss would count the parent's
    memory at fork, which Linux keeps across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(url: str, mode: str) -> None:
    keyring.configure([os.environ["UABOT_SECRET_KEYS"]])
    sessions = make_session_factory(make_engine(url))
    before = peak_rss_mb()
    started = time.perf_counter()
    with sessions.begin() as session:
        if mode == "uabot":
            queued = cases.publish(session, SYSTEM, REF).recipients
        else:
            queued = python_loop(session)
        seconds = time.perf_counter() - started
        if mode != "uabot":
            session.rollback()  # the reference leaves nothing behind
    peak = peak_rss_mb()
    print(json.dumps({"queued": queued, "seconds": seconds, "rss_before": before, "peak": peak}))


def cli(url: str, ref: str) -> None:
    """The real command, run in this process so that its peak RSS is read the same way."""
    from bot.cli import main as uabot

    os.environ["DATABASE_URL"] = url
    try:
        uabot(["cases", "publish", ref])
    except SystemExit as exit_:
        if exit_.code:
            raise
    print(json.dumps({"peak": peak_rss_mb()}))


if __name__ == "__main__":
    if sys.argv[2] == "cli":
        cli(sys.argv[1], sys.argv[3])
    else:
        main(sys.argv[1], sys.argv[2])
