"""The watcher: claims due sources, checks each in its own task, records what it found.

It runs on the process's event loop beside the bot and the sender, by the one rule for
blocking work (bot/runtime.py's `off_loop`): fetches are asynchronous, under the Fetcher's
caps, and parsing and database work go to the bounded thread pool (at most `workers` at a
time), so neither a slow parse nor one slow or broken source holds up the loop or another
source. Several processes may run it on one database: a source is
claimed (its next check pushed past the longest a check can take) before it is fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.config import Settings
from bot.runtime import off_loop
from bot.store.models import utcnow
from bot.watch import record
from bot.watch.fetch import FetchConfig, Fetched, Fetcher
from bot.watch.parse import parse
from bot.watch.problems import Problem
from bot.watch.record import Due, Report, Rules
from bot.watch.safety import Policy

log = logging.getLogger("uabot.watch")

T = TypeVar("T")

LEASE_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True)
class WatchConfig:
    fetch: FetchConfig = field(default_factory=FetchConfig)
    rules: Rules = field(default_factory=Rules)
    tick: float = 5.0  # the longest an idle watcher sleeps before looking again
    backlog: int = 4  # sources claimed ahead, per fetch slot
    # Threads that parse and record. Parsing is CPU-bound (more threads only fight over the
    # GIL, and the bot's loop with them) and SQLite has one writer: one suffices.
    workers: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> WatchConfig:
        fetch = FetchConfig(
            timeout=settings.WATCH_TIMEOUT,
            max_bytes=settings.WATCH_MAX_BYTES,
            max_redirects=settings.WATCH_MAX_REDIRECTS,
            concurrency=settings.WATCH_CONCURRENCY,
            per_host=settings.WATCH_PER_HOST,
            user_agent=settings.WATCH_USER_AGENT,
            policy=policy_of(settings),
        )
        return cls(fetch, Rules(failing_after=timedelta(seconds=settings.WATCH_FAILING_AFTER)))


def policy_of(settings: Settings) -> Policy:
    """In the sandbox (no token) the local Bot API server's own origin is allowed: it serves
    the demo feed. Nothing else private is, unless WATCH_ALLOW_PRIVATE."""
    sandbox = f"{settings.SANDBOX_HOST.lower()}:{settings.SANDBOX_PORT}"
    return Policy(settings.WATCH_ALLOW_PRIVATE, frozenset({sandbox} if settings.sandbox else ()))


@dataclass
class WatchStats:
    """What the watcher did, by outcome; `parsed` counts bodies that had to be parsed."""

    outcomes: Counter[str] = field(default_factory=Counter)
    parsed: int = 0
    checks: int = 0


class Watcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: WatchConfig | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.sessions = sessions
        self.config = config or WatchConfig()
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self.stats = WatchStats()
        self._tasks: set[asyncio.Task[Report]] = set()
        self._wake = asyncio.Event()
        self._workers = asyncio.Semaphore(self.config.workers)

    @classmethod
    def from_settings(cls, sessions: sessionmaker[Session], settings: Settings) -> Watcher | None:
        """The watcher `uabot run` and `uabot worker` run; None when WATCH_ENABLED is off."""
        if not settings.WATCH_ENABLED:
            return None
        return cls(sessions, WatchConfig.from_settings(settings))

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.config.fetch.timeout) + LEASE_MARGIN

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> None:
        """Check sources as they fall due until `stop` (or, `until_idle`, none is due)."""
        async with self._working(), Fetcher(self.config.fetch) as fetcher:
            while not stop.is_set():
                started = await self._start_due(fetcher)
                if until_idle and not started and not self._tasks:
                    return
                await self._sleep(stop)
            # Stopping: fetches in flight are dropped, not awaited (up to a timeout each);
            # their sources' leases run out and they are checked again. A record already
            # under way finishes: the executor is shut down waiting for it.
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def check_once(self) -> list[Report]:
        """Every source due now, checked; returns when all are recorded (tests, benchmarks)."""
        reports: list[Report] = []
        async with self._working(), Fetcher(self.config.fetch) as fetcher:
            while await self._start_due(fetcher):
                reports += await asyncio.gather(*self._tasks)
        return reports

    @contextlib.asynccontextmanager
    async def _working(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            # A record already under way finishes (its thread is not cancelled with its
            # task): every worker's place taken back is every record done.
            for _ in range(self.config.workers):
                await self._workers.acquire()
            for _ in range(self.config.workers):
                self._workers.release()

    async def _in_worker(self, fn: Callable[..., T], *args: object) -> T:
        """Parsing and database work, off the loop, `workers` at a time."""
        async with self._workers:
            return await off_loop(fn, *args)

    async def _start_due(self, fetcher: Fetcher) -> int:
        room = self.config.fetch.concurrency * self.config.backlog - len(self._tasks)
        if room <= 0:
            return 0
        try:
            due = await self._in_worker(self._claim, room)
        except Exception:
            log.exception("watch: claiming due sources failed; trying again")
            return 0
        for source in due:
            task = asyncio.create_task(self.check(fetcher, source))
            self._tasks.add(task)
            task.add_done_callback(self._done)
        return len(due)

    def _done(self, task: asyncio.Task[Report]) -> None:
        self._tasks.discard(task)
        self._wake.set()

    async def _sleep(self, stop: asyncio.Event) -> None:
        try:
            timeout = await self._in_worker(self._idle_timeout)
        except Exception:
            log.exception("watch: reading the next due time failed")
            timeout = self.config.tick
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()
        self._wake.clear()

    def _claim(self, limit: int) -> list[Due]:
        with self.sessions.begin() as session:
            return record.claim_due(session, self.clock(), limit, self.lease)

    def _idle_timeout(self) -> float:
        with self.sessions() as session:
            due = record.next_due_at(session)
        if due is None:
            return self.config.tick
        return min(self.config.tick, max(0.05, (due - self.clock()).total_seconds()))

    async def check(self, fetcher: Fetcher, source: Due) -> Report:
        """Fetch one source and record the outcome; a bug is logged and backs the source off,
        so it cannot stop the loop or come back at once: one bad source never stalls the rest."""
        try:
            fetched = await fetcher.fetch(source.url, source.etag, source.last_modified)
            report = await self._in_worker(self._record_fetched, source, fetched)
        except Problem as problem:
            report = await self._in_worker(self._record_problem, source.id, problem)
        except Exception as exc:
            log.exception("watch: checking source %s raised", source.id)
            bug = Problem("bug", type(exc).__name__)
            report = await self._in_worker(self._record_problem, source.id, bug)
        self.stats.checks += 1
        self.stats.outcomes[report.outcome] += 1
        metrics.WATCH_CHECKS.labels(report.outcome).inc()
        return report

    def _record_fetched(self, source: Due, fetched: Fetched) -> Report:
        """Parse (unless the server or the body's hash says nothing changed), then record."""
        rules, now = self.config.rules, self.clock()
        unchanged = fetched.status == 304 or (
            source.content_hash is not None
            and record.digest_body(fetched.body) == source.content_hash
        )
        if unchanged:
            with self.sessions.begin() as session:
                return record.record_unchanged(session, source.id, fetched, now, rules, self.rng)
        self.stats.parsed += 1
        try:
            kind, content = parse(source.kind, fetched)
        except Problem as problem:
            return self._record_problem(source.id, problem)
        with self.sessions.begin() as session:
            return record.record_content(
                session, source.id, fetched, kind, content, now, rules, self.rng
            )

    def _record_problem(self, source_id: int, problem: Problem) -> Report:
        with self.sessions.begin() as session:
            return record.record_problem(
                session, source_id, problem, self.clock(), self.config.rules, self.rng
            )


async def beside(main: Awaitable[None], watcher: Watcher | None, stop: asyncio.Event) -> None:
    """Run `main` (the delivery worker) with the watcher beside it; when `main` returns or
    fails, the watcher stops too. No watcher (WATCH_ENABLED off): just `main`."""
    if watcher is None:
        await main
        return
    watching = asyncio.create_task(_watch(watcher, stop), name="uabot-watch")
    try:
        await main
    finally:
        stop.set()
        await watching


async def _watch(watcher: Watcher, stop: asyncio.Event) -> None:
    try:
        await watcher.run(stop)
    except Exception:
        log.exception("watch: the watcher stopped")
