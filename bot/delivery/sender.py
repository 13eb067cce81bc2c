"""The sender: drains the outbox at the pace the shared Pacer allows and records every outcome.

Three parts run together:
- the dispatcher claims due rows (committed at once), picks one whose chat is free, waits
  for the pacer and starts its send;
- sends run concurrently (at most `concurrency` requests in flight) and map Telegram's
  answer to an outcome (`outcomes.classify`);
- the recorder commits outcomes as they come, several per transaction when they arrive
  together.
At most `batch_size` messages are ever sent and not yet committed (the `window`): that is
all a SIGKILL can make us send twice. SIGTERM stops the dispatcher; sends in flight finish
and are recorded; claimed rows never sent are released.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, InvalidToken, RetryAfter, TelegramError

from bot import metrics
from bot.config import Settings
from bot.delivery import message, outbox
from bot.delivery.limiter import BROADCAST, Pacer, retry_after_seconds
from bot.delivery.outbox import FAILED, RETRY, SENT, AlertContent, Claimed, Outcome
from bot.delivery.outcomes import RetryPolicy, classify
from bot.ops import HEALTH
from bot.store.db import KeptConnection
from bot.store.models import utcnow
from bot.store.urgency import SHARE_SLOTS, URGENT, class_floor

log = logging.getLogger("uabot.delivery.sender")

T = TypeVar("T")
# A row whose send raised something that is not Telegram's answer (a bug) waits this long,
# so it cannot hold up the queue or crash the sender in a loop: a bad row never stops the rest.
BUG_RETRY = timedelta(hours=1)
RECORD_RETRY_SECONDS = 1.0
# Outcomes wait at most this long for company (while sends are in flight) before they are
# committed.
FLUSH_INTERVAL = 0.05
RECORD_GIVE_UP_WHEN_CLOSING = 5


@dataclass(frozen=True)
class DeliveryConfig:
    batch_size: int = 20  # rows claimed at once; the most sent-but-unrecorded messages
    concurrency: int = 8  # requests in flight at once
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    poll_interval: float = 0.25  # the longest an idle sender sleeps before looking again
    idle_horizon: float = 60.0  # --until-idle waits for retries due within this many seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        return cls(
            batch_size=settings.DELIVERY_BATCH_SIZE,
            concurrency=settings.DELIVERY_CONCURRENCY,
            retry=RetryPolicy(
                base=settings.DELIVERY_RETRY_BASE,
                cap=settings.DELIVERY_RETRY_MAX,
                deadline=settings.DELIVERY_RETRY_DEADLINE,
            ),
            poll_interval=settings.DELIVERY_POLL_INTERVAL,
        )


class Wakeup:
    """Set when new deliveries may be due: a PostgreSQL NOTIFY, or a poke in this process."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def poke(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        """Return when poked or after `seconds`, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        self._event.clear()


@dataclass
class SenderStats:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    commits: int = 0


class Sender:
    def __init__(
        self,
        engine: Engine,
        bot: Bot,
        pacer: Pacer,
        config: DeliveryConfig | None = None,
        *,
        wakeup: Wakeup | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._db = KeptConnection(engine)
        self.bot = bot
        self.pacer = pacer
        self.config = config or DeliveryConfig()
        self.wakeup = wakeup or Wakeup()
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self.stats = SenderStats()
        self.fatal: TelegramError | None = None
        self._contents: dict[int, AlertContent] = {}
        self._queue: deque[Claimed] = deque()
        self._window = asyncio.Semaphore(self.config.batch_size)
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._outcomes: list[Outcome] = []
        self._outcome_ready = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._flush_at = max(1, self.config.batch_size // 2)
        self._closing = False
        self._recording = False
        self._stop = asyncio.Event()
        self._claiming: asyncio.Task[list[Claimed]] | None = None
        self._claimed_at: dict[int, float] = {}  # row id -> loop time claimed (a metric)
        self._drained = False
        self._claims = 0

    async def run(self, stop: asyncio.Event | None = None, *, until_idle: bool = False) -> None:
        """Send until `stop` is set (or, with `until_idle`, until nothing is due)."""
        self._stop = stop or asyncio.Event()
        self._closing = False
        recorder = asyncio.create_task(self._record_loop(), name="delivery-recorder")
        recorder.add_done_callback(self._on_recorder_done)
        try:
            await self._dispatch_loop(until_idle)
        finally:
            await self._finish(recorder)

    # -- dispatcher -------------------------------------------------------------------------

    async def _dispatch_loop(self, until_idle: bool) -> None:
        while not self._stop.is_set():
            self._prefetch()
            if not self._queue:
                if not await self._fill(until_idle):
                    return
                continue
            row = self._pick()
            if row is None:
                await self._unless_stopped(asyncio.sleep(self._soonest_chat()))
                continue
            if not await self._take_window():
                self._queue.appendleft(row)
                return
            if not await self._start(row):
                self._window.release()
                self._queue.appendleft(row)
                return

    async def _take_window(self) -> bool:
        """A place among the sent-but-unrecorded; False if stopped while the window is full
        (a database that does not answer holds it full)."""
        if not self._window.locked():
            await self._window.acquire()
            return True
        return await self._unless_stopped(self._window.acquire()) is not None

    async def _start(self, row: Claimed) -> bool:
        """Start the row's send once the pacer allows it; False if stopped while waiting."""
        content = self._contents[row.alert_id]
        refusal = _refusal(row, content)
        if refusal is not None:
            self._add_outcome(Outcome(row.id, row.subscriber_id, FAILED, error=refusal))
            return True
        await self._slots.acquire()
        granted = self.pacer.try_acquire(row.chat_id, BROADCAST)
        if granted is None:
            waited = await self._unless_stopped(self.pacer.acquire(row.chat_id, BROADCAST))
            if waited is None:
                self._slots.release()
                return False
            granted = waited.result()
        task = asyncio.create_task(self._send(row, content, granted))
        self._tasks.add(task)
        task.add_done_callback(self._sent)
        return True

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            # No send in flight can join the waiting outcomes' transaction: commit them now.
            self._flush_now.set()

    def _pick(self) -> Claimed | None:
        """The first queued row whose chat may receive a message now."""
        for index, row in enumerate(self._queue):
            if self.pacer.chat_delay(row.chat_id) == 0:
                del self._queue[index]
                return row
        return None

    def _soonest_chat(self) -> float:
        return min(self.pacer.chat_delay(row.chat_id) for row in self._queue)

    def _prefetch(self) -> None:
        """Claim the next rows while the last ones are still going out, so sends never wait
        for the database; not when the last claim found the outbox drained."""
        low = len(self._queue) <= self.config.batch_size // 2
        if low and self._claiming is None and not self._drained:
            self._claiming = asyncio.create_task(self._db.run(self._claim))

    async def _claimed(self) -> list[Claimed]:
        task = self._claiming or asyncio.create_task(self._db.run(self._claim))
        self._claiming = task
        try:
            # Shielded: were we cancelled, the claim may commit anyway; it stays in
            # `_claiming` for `_release_unsent` to give its rows back.
            rows = await asyncio.shield(task)
        finally:
            if task.done():
                self._claiming = None
        self.stats.claimed += len(rows)
        now = asyncio.get_running_loop().time()
        self._claimed_at.update((row.id, now) for row in rows)
        self._drained = len(rows) < self.config.batch_size
        return rows

    async def _fill(self, until_idle: bool) -> bool:
        """Claim more rows, or wait for some to fall due; False when it is time to stop."""
        try:
            rows = await self._claimed()
        except DBAPIError:
            log.warning("claiming deliveries failed; trying again", exc_info=True)
            return await self._unless_stopped(asyncio.sleep(self.config.poll_interval)) is not None
        if rows:
            self._queue.extend(rows)
            return True
        self._drained = False
        idle_here = until_idle and not self._tasks and not self._outcomes and not self._recording
        try:
            if idle_here and not await self._db.run(self._has_due_soon):
                return False
            timeout = await self._db.run(self._idle_timeout)
        except DBAPIError:  # a lost connection here, as when claiming: the next call reopens
            log.warning("looking for the next due delivery failed; trying again", exc_info=True)
            timeout = self.config.poll_interval
        return await self._unless_stopped(self.wakeup.wait(timeout)) is not None

    async def _unless_stopped(self, awaitable: Awaitable[T]) -> asyncio.Future[T] | None:
        """Await; return the finished future, or None if `stop` came first (it is cancelled)."""
        task = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if task.done():
            return task
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None

    # -- database work: each runs in one transaction on the sender's kept connection --------

    def _claim(self, connection: Connection) -> list[Claimed]:
        """The next batch, most urgent first; some batches start from a less urgent class,
        so that none waits for ever behind a long broadcast (bot/store/urgency.py)."""
        share = SHARE_SLOTS[self._claims % len(SHARE_SLOTS)]
        self._claims += 1
        now, size = self.clock(), self.config.batch_size
        rows = outbox.claim(connection, now, size, class_floor(share))
        if share != URGENT and len(rows) < size:
            rows += outbox.claim(connection, now, size - len(rows))
        missing = {row.alert_id for row in rows} - self._contents.keys()
        if missing:
            self._contents.update(outbox.alert_contents(connection, missing))
        return rows

    def _has_due_soon(self, connection: Connection) -> bool:
        horizon = self.clock() + timedelta(seconds=self.config.idle_horizon)
        return outbox.has_due(connection, horizon)

    def _idle_timeout(self, connection: Connection) -> float:
        due = outbox.next_due_at(connection)
        if due is None:
            return self.config.poll_interval
        wait = (due - self.clock()).total_seconds()
        return min(self.config.poll_interval, max(0.0, wait))

    # -- sends ------------------------------------------------------------------------------

    async def _send(self, row: Claimed, content: AlertContent, granted: float) -> None:
        try:
            outcome = await self._attempt(row, content, granted)
        finally:
            self._slots.release()
        self._add_outcome(outcome)

    async def _attempt(self, row: Claimed, content: AlertContent, granted: float) -> Outcome:
        try:
            return await self._attempt_once(row, content, granted)
        finally:
            self.pacer.answered(row.chat_id, granted)

    async def _attempt_once(self, row: Claimed, content: AlertContent, granted: float) -> Outcome:
        try:
            sent = await self._post(row.chat_id, row, content)
            return Outcome(row.id, row.subscriber_id, SENT, message_id=sent.message_id)
        except ChatMigrated as exc:
            return await self._resend_migrated(row, content, exc.new_chat_id)
        except TelegramError as exc:
            return self._failure(row, content, exc, granted)
        except Exception as exc:
            # Not Telegram's answer but a bug of ours: logged with its trace and written on
            # the row, which moves an hour on so the rest of the queue goes ahead.
            log.exception("delivery %s raised; retrying it in an hour", row.id)
            return Outcome(
                row.id,
                row.subscriber_id,
                RETRY,
                error=f"bug: {type(exc).__name__}",
                retry_at=self.clock() + BUG_RETRY,
            )

    async def _post(self, chat_id: int, row: Claimed, content: AlertContent) -> Message:
        return await self.bot.send_message(
            chat_id=chat_id,
            text=message.text_for(content, row.language, row.timezone) or "",
            parse_mode=ParseMode.HTML,
            reply_markup=message.buttons_for(content, row.language),
        )

    async def _resend_migrated(
        self, row: Claimed, content: AlertContent, new_chat_id: int
    ) -> Outcome:
        """The group became a supergroup: send once to its new id and remember it."""
        granted = await self.pacer.acquire(new_chat_id, BROADCAST)
        try:
            sent = await self._post(new_chat_id, row, content)
        except TelegramError as exc:
            return self._failure(row, content, exc, granted)
        finally:
            self.pacer.answered(new_chat_id, granted)
        return Outcome(
            row.id, row.subscriber_id, SENT, message_id=sent.message_id, new_chat_id=new_chat_id
        )

    def _failure(
        self, row: Claimed, content: AlertContent, exc: TelegramError, granted: float
    ) -> Outcome:
        if isinstance(exc, RetryAfter):
            self.pacer.retry_after(retry_after_seconds(exc), granted)
        elif isinstance(exc, InvalidToken):
            # Every send would fail the same way: stop, and say so, instead of burning retries.
            self.fatal = exc
            self._stop.set()
        return classify(
            row,
            exc,
            now=self.clock(),
            published_at=content.created_at,
            policy=self.config.retry,
            rng=self.rng,
        )

    # -- recorder ---------------------------------------------------------------------------

    def _add_outcome(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)
        self.stats.outcomes[outcome.kind] = self.stats.outcomes.get(outcome.kind, 0) + 1
        metrics.SENDS.labels(outcome.kind).inc()
        claimed_at = self._claimed_at.pop(outcome.delivery_id, None)
        if outcome.kind == SENT:
            HEALTH.telegram_ok()
            if claimed_at is not None:
                metrics.CLAIM_TO_SEND.observe(asyncio.get_running_loop().time() - claimed_at)
        self._outcome_ready.set()
        if len(self._outcomes) >= self._flush_at:
            self._flush_now.set()

    async def _record_loop(self) -> None:
        while True:
            if not self._outcomes:
                if self._closing:
                    return
                await self._outcome_ready.wait()
                self._outcome_ready.clear()
                continue
            if len(self._outcomes) < self._flush_at and not self._closing:
                # Gather a few more into the same transaction; half the window still sends.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._flush_now.wait(), FLUSH_INTERVAL)
            self._flush_now.clear()
            outcomes, self._outcomes = self._outcomes, []
            self._recording = True
            try:
                await self._commit(outcomes)
            finally:
                self._recording = False
            # A retry may now be due, or the outbox drained: an idle dispatcher looks again.
            self.wakeup.poke()
            for _ in outcomes:
                self._window.release()

    async def _commit(self, outcomes: list[Outcome]) -> None:
        failures = 0
        while True:
            try:
                await self._db.run(partial(outbox.record, outcomes=outcomes, now=self.clock()))
                self.stats.commits += 1
                return
            except DBAPIError:
                failures += 1
                log.warning("recording %d outcomes failed", len(outcomes), exc_info=True)
                if self._closing and failures >= RECORD_GIVE_UP_WHEN_CLOSING:
                    log.error("%d outcomes not recorded; those rows go again", len(outcomes))
                    return
                await asyncio.sleep(RECORD_RETRY_SECONDS)

    def _on_recorder_done(self, recorder: asyncio.Task[None]) -> None:
        # Outcomes can no longer be written: stop sending (run() re-raises the error).
        if not recorder.cancelled() and recorder.exception() is not None:
            self._stop.set()

    async def _finish(self, recorder: asyncio.Task[None]) -> None:
        """Let sends in flight finish and be recorded; give back rows never sent."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._closing = True
        self._outcome_ready.set()
        self._flush_now.set()
        try:
            await recorder
        finally:
            try:
                await self._release_unsent()
            finally:
                await self._db.close()

    async def _release_unsent(self) -> None:
        if self._claiming is not None:
            try:
                self._queue.extend(await self._claimed())
            except Exception:
                # Its rows, if it took any, stay claimed until the next active sender.
                log.warning("the last claim failed while closing", exc_info=True)
        if self._queue:
            ids = [row.id for row in self._queue]
            self._queue.clear()
            try:
                await self._db.run(partial(outbox.release, ids=ids))
            except DBAPIError:
                # Harmless: the next active sender releases every claim it finds.
                log.warning("could not give back %d unsent claimed rows", len(ids))


def _refusal(row: Claimed, content: AlertContent) -> str | None:
    """Why this row must not be sent at all, or None."""
    if row.subscriber_status != "active":
        return f"subscriber {row.subscriber_status}"
    if message.text_for(content, row.language) is None:
        return "alert has no text"
    return None
