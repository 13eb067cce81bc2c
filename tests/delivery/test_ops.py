"""/healthz and /metrics (bot/ops.py) as `uabot run` and `uabot worker` serve them: the
metrics move when the sender sends and when Telegram answers 429; health says 503 when the
database does not answer or the sender has stopped."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.delivery.limiter import Pacer
from bot.delivery.sender import Sender
from bot.ops import Health, Ops, serving
from bot.sandbox.local import RunningServer
from bot.store.db import make_engine
from tests.delivery.conftest import bot_for, drain, fast_config, subscribe_and_publish


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def served(ops: Ops) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    async with serving(ops, "127.0.0.1", port) as bound:
        assert bound == port
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_a_sent_message_increments_the_sends_counter_and_empties_the_outbox_gauge(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    queued = subscribe_and_publish(sessions, 3)
    async with served(Ops(engine)) as client:
        before = await scrape(client)
        await drain(engine, server)
        after = await scrape(client)

    sent = ("uabot_sends_total", (("outcome", "sent"),))
    assert after[sent] - before.get(sent, 0.0) == queued == 3
    assert before[("uabot_outbox_depth", (("kind", "new"), ("state", "due")))] == 3
    assert ("uabot_outbox_depth", (("kind", "new"), ("state", "due"))) not in after
    latency = ("uabot_claim_to_send_seconds_count", ())
    assert after[latency] - before.get(latency, 0.0) == 3
    # No label anywhere holds an id, a chat or a text: only the fixed sets of values.
    labels = {value for _, pairs in after for _, value in pairs}
    assert not any(value.isdigit() or value.startswith("KZ-") for value in labels)


async def test_a_429_counts_and_shows_a_pause_while_it_lasts(
    engine: Engine, sessions: sessionmaker[Session], server: RunningServer
) -> None:
    subscribe_and_publish(sessions, 4)
    # Telegram allows one message and then a pause; the sender does not know.
    await server.acontrol.configure(global_rate=0.2, global_burst=1)
    pacer = Pacer(None, None)
    before_429 = metrics.value("uabot_telegram_429_total")
    stop = asyncio.Event()
    async with served(Ops(engine, pacer.paused_for)) as client, bot_for(server) as bot:
        sender = Sender(engine, bot, pacer, fast_config(concurrency=1))
        sending = asyncio.create_task(sender.run(stop))
        for _ in range(200):
            if metrics.value("uabot_telegram_429_total") > before_429:
                break
            await asyncio.sleep(0.05)
        paused = await scrape(client)
        stop.set()
        await sending

    assert paused[("uabot_telegram_429_total", ())] > before_429
    assert paused[("uabot_send_pause_seconds", ())] > 0


async def test_healthz_is_200_while_the_database_answers_and_the_sender_stands_by(
    engine: Engine,
) -> None:
    health = Health(sender="standby")
    health.telegram_ok()
    async with served(Ops(engine, health=health, scheduler_interval=60)) as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["sender"] == "standby"
    assert body["seconds_since_telegram_ok"] >= 0
    assert body["seconds_since_scheduler_cycle"] is None  # no cycle yet: not a failure


async def test_healthz_is_503_when_the_database_does_not_answer() -> None:
    nowhere = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    async with served(Ops(nowhere, health=Health(sender="active"))) as client:
        response = await client.get("/healthz")
        metrics_response = await client.get("/metrics")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert metrics_response.status_code == 200  # the counters still tell what happened


async def test_healthz_is_503_when_the_sender_stopped_or_the_scheduler_stalled(
    engine: Engine,
) -> None:
    now = [1000.0]
    health = Health(clock=lambda: now[0], sender="stopped")
    async with served(Ops(engine, health=health, scheduler_interval=60)) as client:
        stopped = await client.get("/healthz")
        health.sender = "active"
        health.scheduler_cycled()
        now[0] += 60
        fresh = await client.get("/healthz")
        now[0] += 3 * 60 + 61
        stalled = await client.get("/healthz")

    assert (stopped.status_code, stopped.json()["sender"]) == (503, "stopped")
    assert fresh.status_code == 200
    assert stalled.status_code == 503
    assert stalled.json()["seconds_since_scheduler_cycle"] == 3 * 60 + 61 + 60


async def test_a_port_already_taken_is_logged_and_the_process_goes_on(engine: Engine) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with serving(Ops(engine), "127.0.0.1", port) as bound:
            assert bound is None
    async with serving(Ops(engine), "127.0.0.1", 0) as off:
        assert off is None
