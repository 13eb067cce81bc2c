"""The scheduler: reminders, coordinator notices and digests, queued on time, restart-safe.

State lives in the database, not here: each cycle reads the active cases and the held
digest copies, asks `bot.schedule` what is due, and runs the due jobs (`bot.domain.scheduled`),
where the unique dedupe key decides who queues each. So a restart, a second process or a
retry never queues a job twice, a moved deadline or a closed case simply stops producing its
old jobs, and what fell due while uabot was stopped is due at the first cycle after it starts.

Due jobs run in batches, a transaction each: one commit (and fsync) for up to BATCH jobs,
where one per job made a 09:00 with thousands of digests take minutes. Each case job runs
in a savepoint, and a batch's digests in one, retried one by one in savepoints if it fails:
a key another process took, a job no longer due or a bug undoes only its own job. A crash
before the commit loses nothing, as nothing was sent: the next cycle finds the jobs due.

APScheduler does the waking: one named date job per upcoming item (its dedupe key; digests
of one moment share `digest@<time>`), re-made each cycle, so a moved deadline moves its
wake-up and a closed case loses its own; plus a cycle every `interval` seconds for what
other processes changed. Every wake-up runs the same cycle. Nothing is sent from here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.config import Settings
from bot.domain import retention, scheduled
from bot.domain.errors import UnknownCase
from bot.ops import HEALTH
from bot.runtime import off_loop
from bot.schedule import DIGEST, Job, Plan, Policy
from bot.store.db import begin_write
from bot.store.models import utcnow

log = logging.getLogger("uabot.scheduler")

CYCLE_JOB = "schedule:cycle"
# Late wake-ups still run (the cycle decides what is due); two never queue up.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
# The clock-to-wall offset wobbles by microseconds between cycles: not a reason to reschedule.
RESCHEDULE_TOLERANCE = timedelta(seconds=1)
BATCH = 200
# Case jobs also close their batch after this long (a reminder may fan out to thousands):
# an open batch keeps SQLite's other writers waiting, and its cases locked on PostgreSQL.
BATCH_SECONDS = 0.5
RETENTION_EVERY = timedelta(hours=1)


class Unqueued(StrEnum):
    """Why a job queued nothing; each is also its count's name in `Scheduler.stats`."""

    VOID = "void"  # no longer due: its key was given back
    TAKEN = "taken"  # another process queued it
    FAILED = "failed"  # an error, logged; due again next cycle


# What became of a job: the messages it queued, or why none.
Outcome = int | Unqueued


class Scheduler:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        policy: Policy | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        interval: float = 60.0,
        retention_rules: retention.Rules | None = None,
    ) -> None:
        """`retention_rules`: erase long-closed cases' restricted fields (None: never)."""
        self.sessions = sessions
        self.policy = policy or Policy()
        self.clock = clock
        self.interval = interval
        self.retention_rules = retention_rules
        self._retention_at: datetime | None = None  # the next retention run, by `clock`
        self.stats: Counter[str] = Counter()
        self._lock = asyncio.Lock()
        self._stopping = False
        self._skips_logged: set[str] = set()

    @classmethod
    def from_settings(cls, sessions: sessionmaker[Session], settings: Settings) -> Scheduler:
        return cls(
            sessions,
            Policy.from_settings(settings),
            interval=settings.SCHEDULER_INTERVAL,
            retention_rules=retention.Rules.from_settings(settings),
        )

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
                plan = await off_loop(self.cycle)
            except DBAPIError:
                log.warning("schedule cycle failed; trying again", exc_info=True)
                return
            self._set_wakeups(aps, plan, skew=datetime.now(UTC) - self.clock())

    def cycle(self) -> Plan:
        """Read the schedule and run what is due, batch by batch; the plan it ran."""
        now = self.clock()
        with self.sessions() as session:
            plan = scheduled.load_plan(session, now, self.policy)
        self._log_skips(plan.skipped)
        # Case jobs, then digests, each in key order: two processes take overlapping keys in
        # the same order, so neither waits for a key the other holds while holding one it needs.
        due = deque(sorted(plan.due, key=lambda job: (job.kind == DIGEST, job.key)))
        lag = max(((now - job.at).total_seconds() for job in due), default=0.0)
        while due and not self._stopping:
            self._report(self._run_batch(due, now))
        self._retain(now)
        self.stats["cycles"] += 1
        metrics.SCHEDULER_CYCLES.inc()
        metrics.SCHEDULER_LAG.set(max(0.0, lag))
        HEALTH.scheduler_cycled()
        return plan

    def _retain(self, now: datetime) -> None:
        """Retention's notices and erasures, once per RETENTION_EVERY (in a transaction)."""
        if self.retention_rules is None or self._stopping:
            return
        if self._retention_at is not None and now < self._retention_at:
            return
        with self.sessions.begin() as session:
            report = retention.run(session, now, self.retention_rules)
        self._retention_at = now + RETENTION_EVERY
        if report.notices or report.cases:
            log.info(
                "retention: %d notice(s) queued, %d case(s) erased (%d field(s))",
                report.notices,
                report.cases,
                report.fields,
            )

    def execute(self, job: Job, now: datetime) -> int | None:
        """Run one job in a transaction of its own; how many messages it queued (None: none)."""
        [(_, outcome)] = self._report(self._run_batch(deque([job]), now))
        return None if isinstance(outcome, Unqueued) else outcome

    def _run_batch(self, due: deque[Job], now: datetime) -> list[tuple[Job, Outcome]]:
        """Take the next batch off `due` and run it in one transaction: case jobs, or digests.

        A job's own failure is contained in its savepoint; a failing savepoint, commit or
        connection fails the batch, and the cycle with it (nothing of the batch is queued).
        """
        started = time.monotonic()
        outcomes: list[tuple[Job, Outcome]] = []
        with self.sessions() as session:
            begin_write(session)
            if due[0].kind == DIGEST:
                digests = [due.popleft() for _ in range(min(BATCH, len(due)))]
                outcomes = self._digests(session, digests, now)
            else:
                while due and due[0].kind != DIGEST and not self._stopping:
                    job = due.popleft()
                    outcomes.append((job, self._attempt(session, job, self._case_job, now)))
                    if len(outcomes) >= BATCH or time.monotonic() - started >= BATCH_SECONDS:
                        break
            session.commit()
        return outcomes

    def _digests(
        self, session: Session, jobs: list[Job], now: datetime
    ) -> list[tuple[Job, Outcome]]:
        """All together; if that fails, one by one, so that only the failing ones wait."""
        savepoint = session.begin_nested()
        try:
            done = scheduled.send_digests(session, jobs, now)
        except Exception:
            savepoint.rollback()
            log.warning("%d digests failed together; one by one now", len(jobs), exc_info=True)
            return [(job, self._attempt(session, job, self._one_digest, now)) for job in jobs]
        savepoint.commit()
        return [(job, _digest_outcome(done, job)) for job in jobs]

    def _attempt(
        self,
        session: Session,
        job: Job,
        run: Callable[[Session, Job, datetime], Outcome],
        now: datetime,
    ) -> Outcome:
        """Run one job in a savepoint, rolled back unless it queued something."""
        savepoint = session.begin_nested()
        try:
            outcome = run(session, job, now)
        except UnknownCase:
            outcome = Unqueued.VOID
        except IntegrityError:
            savepoint.rollback()
            if scheduled.done_keys(session, [job.key]):
                return Unqueued.TAKEN
            log.exception("%s failed; trying again next cycle", job.describe())
            return Unqueued.FAILED
        except Exception:
            # One bad job must not hold up the others; it is tried again next cycle.
            savepoint.rollback()
            log.exception("%s failed; trying again next cycle", job.describe())
            return Unqueued.FAILED
        if isinstance(outcome, Unqueued):
            savepoint.rollback()  # gives the key back
        else:
            savepoint.commit()
        return outcome

    def _case_job(self, session: Session, job: Job, now: datetime) -> Outcome:
        queued = scheduled.run_job(session, job, now, self.policy)
        return Unqueued.VOID if queued is None else queued

    def _one_digest(self, session: Session, job: Job, now: datetime) -> Outcome:
        return _digest_outcome(scheduled.send_digests(session, [job], now), job)

    def _report(self, outcomes: list[tuple[Job, Outcome]]) -> list[tuple[Job, Outcome]]:
        """Log and count a committed batch: a line per case job, one for all its digests."""
        digests: Counter[str] = Counter()
        for job, outcome in outcomes:
            counted = job.kind if isinstance(outcome, int) else outcome.value
            self.stats[counted] += 1
            if job.kind == DIGEST:
                digests[counted] += 1
            elif outcome == Unqueued.VOID:
                log.info("%s: no longer due", job.describe())
            elif outcome == Unqueued.TAKEN:
                log.info("%s: queued already, by another process", job.describe())
            elif isinstance(outcome, int):
                log.info("%s: %d message(s) queued", job.describe(), outcome)
        if digests:
            log.info(
                "digests: %d queued, %d no longer due, %d queued already by another process, "
                "%d failed",
                digests[DIGEST],
                digests[Unqueued.VOID],
                digests[Unqueued.TAKEN],
                digests[Unqueued.FAILED],
            )
        return outcomes

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


def _digest_outcome(done: dict[str, int | None], job: Job) -> Outcome:
    if job.key not in done:
        return Unqueued.TAKEN
    queued = done[job.key]
    return Unqueued.VOID if queued is None else queued


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
