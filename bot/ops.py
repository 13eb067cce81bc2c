"""`/healthz` and `/metrics` for the operator's supervisor and dashboards, served by
`uabot run` and `uabot worker` on HEALTH_HOST:HEALTH_PORT (127.0.0.1 by default; .env.example).

`/healthz` answers 200 or 503 with a short JSON body: the database answers, the sender is
active or standing by (another process holds the lock), and how long since the last
successful Telegram call and the last scheduler cycle. `/metrics` is Prometheus' text
format (bot/metrics.py lists what is counted; docs/DEPLOY.md what to watch).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from telegram.request import HTTPXRequest

from bot.metrics import REGISTRY
from bot.store.models import Alert, Delivery, utcnow

log = logging.getLogger("uabot.ops")

# A scheduler that has not cycled for this many intervals (plus a minute) is unhealthy.
SCHEDULER_STALE_INTERVALS = 3


@dataclass
class Health:
    """Process-wide marks the sender, the bot front and the scheduler set as they work."""

    clock: Callable[[], float] = time.monotonic
    telegram_ok_at: float | None = None
    scheduler_cycle_at: float | None = None
    # "starting", "active" (this process sends), "standby" (another one does), "stopped"
    sender: str = "starting"

    def telegram_ok(self) -> None:
        self.telegram_ok_at = self.clock()

    def scheduler_cycled(self) -> None:
        self.scheduler_cycle_at = self.clock()

    def age(self, mark: float | None) -> float | None:
        return None if mark is None else round(self.clock() - mark, 3)


HEALTH = Health()


class TrackedRequest(HTTPXRequest):
    """python-telegram-bot's HTTP client, marking every answer 200 from the Bot API: the
    health's "time since the last successful Telegram call" (getUpdates included)."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == 200:
            HEALTH.telegram_ok()
        return code, payload


@dataclass
class Ops:
    """What `/healthz` and the live gauges read: this process's database, pacer and plan."""

    engine: Engine
    paused_for: Callable[[], float] = lambda: 0.0
    scheduler_interval: float | None = None  # None: no scheduler in this process
    health: Health = field(default_factory=lambda: HEALTH)

    def database_ok(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def check(self) -> tuple[bool, dict[str, Any]]:
        database = self.database_ok()
        since_cycle = self.health.age(self.health.scheduler_cycle_at)
        scheduler_ok = True
        if self.scheduler_interval is not None and since_cycle is not None:
            limit = SCHEDULER_STALE_INTERVALS * self.scheduler_interval + 60
            scheduler_ok = since_cycle <= limit
        sender_ok = self.health.sender in ("starting", "active", "standby")
        body = {
            "status": "ok" if database and sender_ok and scheduler_ok else "unavailable",
            "database": "ok" if database else "unreachable",
            "sender": self.health.sender,
            "seconds_since_telegram_ok": self.health.age(self.health.telegram_ok_at),
            "seconds_since_scheduler_cycle": since_cycle,
        }
        return body["status"] == "ok", body


class LiveGauges(Collector):
    """Read at scrape time: the outbox's depth by alert kind and state, the current pause."""

    def __init__(self, ops: Ops) -> None:
        self.ops = ops

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pause = GaugeMetricFamily(
            "uabot_send_pause_seconds",
            "Seconds until sends resume after a 429 (0: not paused).",
        )
        pause.add_metric([], round(self.ops.paused_for(), 3))
        yield pause
        depth = GaugeMetricFamily(
            "uabot_outbox_depth",
            "Deliveries not yet done, by alert kind and state (due, scheduled, claimed, held).",
            labels=["kind", "state"],
        )
        try:
            rows = self._depth()
        except SQLAlchemyError:
            log.warning("outbox depth: the database did not answer")
            rows = []
        for kind, state, count in rows:
            depth.add_metric([kind, state], count)
        yield depth

    def _depth(self) -> list[tuple[str, str, int]]:
        state = case(
            (Delivery.status == "held", "held"),
            (Delivery.claimed_at.is_not(None), "claimed"),
            (Delivery.next_attempt_at <= utcnow(), "due"),
            else_="scheduled",
        )
        query = (
            select(Alert.kind, state, func.count())
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Delivery.status.in_(("pending", "held")))
            .group_by(Alert.kind, state)
        )
        with self.ops.engine.connect() as connection:
            return [(str(kind), str(st), cast(int, n)) for kind, st, n in connection.execute(query)]


def make_app(ops: Ops) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        ok, body = await asyncio.to_thread(ops.check)
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(request: web.Request) -> web.Response:
        payload = await asyncio.to_thread(generate_latest, REGISTRY)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


@contextlib.asynccontextmanager
async def serving(ops: Ops, host: str, port: int) -> AsyncIterator[int | None]:
    """Serve `/healthz` and `/metrics` while the block runs; yields the port (None: off).

    Port 0 turns them off. A port already taken is logged, not fatal: the bot goes on.
    """
    if not port:
        yield None
        return
    gauges = LiveGauges(ops)
    REGISTRY.register(gauges)
    runner = web.AppRunner(make_app(ops), access_log=None)
    await runner.setup()
    try:
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except OSError as exc:
            log.warning("health and metrics not served on %s:%d: %s", host, port, exc.strerror)
            yield None
        else:
            log.info("health and metrics on http://%s:%d/healthz and /metrics", host, port)
            yield port
    finally:
        await runner.cleanup()
        REGISTRY.unregister(gauges)
