"""The scheduler: reminders, coordinator notices and digests, queued on time, restart-safe.

State lives in the database, not here: each cycle reads the active cases and the held
digest copies, asks `bot.schedule` what is due, and runs each due job in a transaction of
its own (`bot.domain.scheduled`), where the unique dedupe key decides who queues it. So a
restart, a second process or a retry never queues a job twice, a moved deadline or a closed
case simply stops producing its old jobs, and what fell due while uabot was stopped is due
at the first cycle after it starts.

APScheduler does the waking: one named date job per upcoming item (its dedupe key; digests
of one moment share `digest@<time>`), re-made each cycle, so a moved deadline moves its
wake-up and a closed case loses its own; plus a cycle every `interval` seconds for what
other processes changed. Every wake-up runs the same cycle. Nothing is sent from here.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.domain import scheduled
from bot.domain.errors import UnknownCase
from bot.schedule import Job, Plan, Policy
from bot.store.models import utcnow

log = logging.getLogger("uabot.scheduler")

CYCLE_JOB = "schedule:cycle"
# Late wake-ups still run (the cycle decides what is due); two never queue up.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
# The clock-to-wall offset wobbles by microseconds between cycles: not a reason to reschedule.
RESCHEDULE_TOLERANCE = timedelta(seconds=1)


class Scheduler:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        policy: Policy | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        interval: float = 60.0,
    ) -> None:
        self.sessions = sessions
        self.policy = policy or Policy()
        self.clock = clock
        self.interval = interval
        self.stats: Counter[str] = Counter()
        self._lock = asyncio.Lock()
        self._stopping = False
        self._skips_logged: set[str] = set()

    @classmethod
    def from_settings(cls, sessions: sessionmaker[Session], settings: Settings) -> Scheduler:
        return cls(sessions, Policy.from_settings(settings), interval=settings.SCHEDULER_INTERVAL)

    async def run(self, stop: asyncio.Event) -> None:
        """Cycle at once, then at each wake-up, until `stop`; a cycle under way finishes."""
        self._stopping = False
        apscheduler_log = logging.getLogger("apscheduler")
        if apscheduler_log.level == logging.NOTSET:
            # Its INFO lines come twice a wake-up and say nothing ours do not.
            apscheduler_log.setLevel(logging.WARNING)
        aps = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        aps.add_job(
            self._wake,
            IntervalTrigger(seconds=self.interval),
            args=[aps],
            id=CYCLE_JOB,
            name=CYCLE_JOB,
            next_run_time=datetime.now(UTC),
        )
        aps.start()
        log.info("scheduler started (cycle every %.0f s at the latest)", self.interval)
        try:
            await stop.wait()
        finally:
            self._stopping = True
            async with self._lock:  # the cycle under way finishes its transaction
                aps.shutdown(wait=False)

    async def _wake(self, aps: AsyncIOScheduler) -> None:
        async with self._lock:
            if self._stopping:
                return
            try:
                plan = await asyncio.to_thread(self.cycle)
            except DBAPIError:
                log.warning("schedule cycle failed; trying again", exc_info=True)
                return
            self._set_wakeups(aps, plan, skew=datetime.now(UTC) - self.clock())

    def cycle(self) -> Plan:
        """Read the schedule, run what is due, one transaction per job; the plan it ran."""
        now = self.clock()
        with self.sessions() as session:
            plan = scheduled.load_plan(session, now, self.policy)
        self._log_skips(plan.skipped)
        for job in plan.due:
            if self._stopping:
                break
            try:
                self.execute(job, now)
            except Exception:
                # One bad job must not hold up the others; it is tried again next cycle.
                log.exception("%s failed; trying again next cycle", job.describe())
                self.stats["failed"] += 1
        self.stats["cycles"] += 1
        return plan

    def execute(self, job: Job, now: datetime) -> int | None:
        """Run one job in its own transaction; how many messages it queued (None: none)."""
        with self.sessions() as session:
            try:
                queued = scheduled.run_job(session, job, now, self.policy)
                if queued is not None:
                    session.commit()
            except UnknownCase:
                queued = None
            except IntegrityError:
                session.rollback()
                if not scheduled.done_keys(session, [job.key]):
                    raise
                log.info("%s: queued already, by another process", job.describe())
                self.stats["taken"] += 1
                return None
            if queued is None:
                session.rollback()  # gives the key back
                log.info("%s: no longer due", job.describe())
                self.stats["void"] += 1
                return None
        log.info("%s: %d message(s) queued", job.describe(), queued)
        self.stats[job.kind] += 1
        return queued

    def _log_skips(self, skipped: list[Job]) -> None:
        for job in skipped:
            if job.key not in self._skips_logged:
                self._skips_logged.add(job.key)
                log.warning(
                    "%s: skipped; its time came while uabot was stopped, and the deadline "
                    "has passed since",
                    job.describe(),
                )
                self.stats["skipped"] += 1

    def _set_wakeups(self, aps: AsyncIOScheduler, plan: Plan, skew: timedelta) -> None:
        """One named date job per upcoming item; stale ones (moved, cancelled) removed."""
        wanted: dict[str, datetime] = {}
        for job in plan.upcoming:
            wanted.setdefault(job.name, job.at + skew)
        for existing in aps.get_jobs():
            if existing.id != CYCLE_JOB and existing.id not in wanted:
                existing.remove()
        for name, run_date in wanted.items():
            current = aps.get_job(name)
            if current is None:
                aps.add_job(self._wake, DateTrigger(run_date), args=[aps], id=name, name=name)
            elif abs(current.next_run_time - run_date) > RESCHEDULE_TOLERANCE:
                current.reschedule(DateTrigger(run_date))


async def beside(main: Awaitable[None], scheduler: Scheduler, stop: asyncio.Event) -> None:
    """Run `main` (the delivery worker) with the scheduler beside it, until both are done.

    When `main` returns or fails, `stop` is set so the scheduler stops too.
    """
    task = asyncio.create_task(scheduler.run(stop), name="scheduler")
    try:
        await main
    finally:
        stop.set()
        await task
