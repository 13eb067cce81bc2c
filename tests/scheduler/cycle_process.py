"""One scheduler process for tests/scheduler/test_processes.py: wait for the go file, run
a few cycles at a fixed time, print what this process queued as JSON.

    python -m tests.scheduler.cycle_process DB_URL NOW_ISO READY_FILE GO_FILE
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from bot.schedule import Policy
from bot.scheduler import Scheduler
from bot.store.crypto import keyring
from bot.store.db import make_engine, make_session_factory

CYCLES = 3


def main(db_url: str, now: str, ready: str, go: str) -> None:
    keyring.configure([os.environ["UABOT_SECRET_KEYS"]])
    engine = make_engine(db_url)
    moment = datetime.fromisoformat(now)
    scheduler = Scheduler(make_session_factory(engine), Policy(), clock=lambda: moment)
    with engine.connect():
        pass  # connect before the start line, so both start their cycles together
    Path(ready).touch()
    while not Path(go).exists():
        time.sleep(0.001)
    for _ in range(CYCLES):
        scheduler.cycle()
    engine.dispose()
    print(json.dumps(dict(scheduler.stats)))


if __name__ == "__main__":
    main(*sys.argv[1:5])
