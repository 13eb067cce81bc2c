"""Source watch: how many sources the watcher polls per minute, and how long one poll cycle
of 1,000 sources takes, against local feeds; and how late the bot's event loop runs meanwhile.

A feed server in its own process serves 1,000 RSS feeds (20 items each) from 50 loopback
addresses (127.0.0.2 and up: 50 "hosts", 20 sources each), with ETag and 304 as a polite
server does. The watcher runs with the deployment's defaults (8 fetches in flight, 2 per
host, WATCH_ALLOW_PRIVATE for the loopback feeds) in a thread of its own, as `uabot run` runs
it, while this thread's event loop stands in for the bot's and measures how late it wakes.

Three cycles, each with every source due:
  cold   every feed new to the watcher: fetched, parsed, its 20 items recorded;
  304    nothing changed: conditional requests answered 304, nothing parsed;
  news   one new item in every feed, naming the keyword: parsed, recorded, and a news
         notice queued in the outbox for the coordinator (1,000 notices).

PostgreSQL figures need TEST_DATABASE_URL (`make bench` sets it); its database is wiped.

    .venv/bin/python benchmarks/bench_watch.py [--sources 1000] [--hosts 50]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from aiohttp import web
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from stores import databases, fresh_engine

from bot.domain import demo, staff
from bot.store.db import make_session_factory
from bot.store.models import Case, WatchSource, utcnow
from bot.watch import parse
from bot.watch.fetch import FetchConfig, Fetched
from bot.watch.poller import WatchConfig, Watcher
from bot.watch.safety import Policy

ITEMS = 20
COORDINATOR = 901


# -- the feed server, in a process of its own -------------------------------------------------


def _feed(source: int, version: int) -> bytes:
    items = [
        (f"s{source}-{n}", f"Item {n} of source {source}: regional news") for n in range(ITEMS)
    ]
    items += [(f"s{source}-v{v}", f"Agadil family: update {v}") for v in range(1, version + 1)]
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://news.example.org/{guid}</link>"
        f"<description>{title}, in some detail.</description></item>"
        for guid, title in reversed(items)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Feed {source}</title><link>https://news.example.org/</link>{body}"
        "</channel></rss>"
    ).encode()


def _serve(hosts: list[str], ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    state = {"version": 0}

    async def feed(request: web.Request) -> web.Response:
        etag = f'"v{state["version"]}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = _feed(int(request.match_info["n"]), state["version"])
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def bump(_request: web.Request) -> web.Response:
        state["version"] += 1
        return web.Response(text=str(state["version"]))

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", feed)
        app.router.add_post("/_bump", bump)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        bound = []
        for host in hosts:
            site = web.TCPSite(runner, host, 0)
            await site.start()
            bound.append((host, site._server.sockets[0].getsockname()[1]))  # type: ignore[union-attr]
        ports.put(bound)
        await asyncio.Event().wait()

    asyncio.run(run())


@contextmanager
def feed_server(hosts: int) -> Iterator[list[str]]:
    """Origins ("http://127.0.0.2:PORT", ...) of the feed server, one per host."""
    addresses = [f"127.0.0.{2 + i}" for i in range(hosts)]
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=_serve, args=(addresses, ports), daemon=True)
    process.start()
    try:
        yield [f"http://{host}:{port}" for host, port in ports.get(timeout=20)]
    finally:
        process.terminate()
        process.join(5)


# -- the database -----------------------------------------------------------------------------


def add_sources(sessions: sessionmaker[Session], origins: list[str], count: int) -> None:
    """`count` sources spread over the seed cases and the hosts, each watching for Agadil."""
    now = utcnow()
    with sessions.begin() as session:
        demo.load_cases(session)
        staff.grant(session, staff.SYSTEM, COORDINATOR, "coordinator")
        case_ids = list(session.scalars(select(Case.id).order_by(Case.id)))
        session.execute(
            insert(WatchSource),
            [
                {
                    "case_id": case_ids[n % len(case_ids)],
                    "url": f"{origins[n % len(origins)]}/feed/{n}.xml",
                    "keywords": ["Agadil", "Агадил"],
                    "interval_seconds": 3600,
                    "status": "active",
                    "added_at": now,
                    "next_check_at": now,
                    "failures": 0,
                    "failure_flagged": False,
                }
                for n in range(count)
            ],
        )


def all_due(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.execute(update(WatchSource).values(next_check_at=utcnow()))


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Cycle:
    name: str
    seconds: float
    outcomes: dict[str, int]
    lag_p99_ms: float
    lag_max_ms: float

    @property
    def per_minute(self) -> float:
        return sum(self.outcomes.values()) / self.seconds * 60


def cycle(name: str, watcher: Watcher) -> Cycle:
    """One cycle in the watcher's own thread; this thread's loop measures how late it wakes."""
    before = dict(watcher.stats.outcomes)
    done = threading.Event()
    timing: dict[str, float] = {}

    def work() -> None:
        started = time.perf_counter()
        asyncio.run(watcher.check_once())
        timing["seconds"] = time.perf_counter() - started
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    lags = asyncio.run(_probe(done))
    thread.join()
    outcomes = {k: v - before.get(k, 0) for k, v in watcher.stats.outcomes.items()}
    lags_ms = sorted(lag * 1000 for lag in lags) or [0.0]
    p99 = lags_ms[min(len(lags_ms) - 1, int(len(lags_ms) * 0.99))]
    return Cycle(
        name, timing["seconds"], {k: v for k, v in outcomes.items() if v}, p99, max(lags_ms)
    )


async def _probe(done: threading.Event, tick: float = 0.01) -> list[float]:
    """How much later than asked a 10 ms sleep returns, until `done`: the bot's loop's view."""
    lags = []
    while not done.is_set():
        started = time.perf_counter()
        await asyncio.sleep(tick)
        lags.append(time.perf_counter() - started - tick)
    return lags


def run_database(label: str, url: str, origins: list[str], count: int) -> list[Cycle]:
    engine = fresh_engine(label, url)
    sessions = make_session_factory(engine)
    add_sources(sessions, origins, count)
    config = WatchConfig(FetchConfig(policy=Policy(allow_private=True)))
    watcher = Watcher(sessions, config)
    results = [cycle("cold", watcher)]
    all_due(sessions)
    results.append(cycle("304", watcher))
    httpx.post(origins[0] + "/_bump")
    all_due(sessions)
    results.append(cycle("news", watcher))
    engine.dispose()
    return results


def report(label: str, count: int, hosts: int, cycles: list[Cycle]) -> None:
    print(f"{label}: {count} sources on {hosts} hosts, 8 fetches in flight, 2 per host")
    for c in cycles:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(c.outcomes.items()))
        print(
            f"  {c.name:>4}: one cycle {c.seconds:6.2f} s = {c.per_minute:7.0f} polls/min "
            f"({outcomes}); bot loop late by p99 {c.lag_p99_ms:.1f} ms, max {c.lag_max_ms:.1f} ms"
        )
    need = count / 60
    slowest = min(c.per_minute for c in cycles)
    print(
        f"  hourly checks of {count} sources need {need:.0f} polls/min: "
        f"{slowest / need:.0f}x headroom at the slowest cycle"
    )


def huge_feed() -> None:
    """A 60,000-item feed under the 2 MB cap: parse's peak memory and time, as ratios to the
    same parse with the cut before feedparser taken away (the reference, in this run)."""
    items = "".join(f"<item><title>{i}</title></item>" for i in range(60_000))
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel>'
    fetched = Fetched(status=200, url="https://e.org/feed", body=(body + "</rss>").encode())

    def measure() -> tuple[float, float, int]:
        tracemalloc.start()
        started = time.perf_counter()
        _, entries = parse.parse(None, fetched)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 1e6, elapsed, len(entries)

    cut = measure()
    real, parse.first_entries = parse.first_entries, lambda body, limit: body
    try:
        whole = measure()
    finally:
        parse.first_entries = real
    print(
        f"huge feed ({len(fetched.body) / 1e6:.2f} MB, 60,000 items): {cut[2]} entries, "
        f"peak {cut[0]:.1f} MB in {cut[1]:.2f} s; whole body to feedparser: peak "
        f"{whole[0]:.1f} MB in {whole[1]:.2f} s (memory {cut[0] / whole[0]:.3f}x, "
        f"time {cut[1] / whole[1]:.3f}x; target memory < 0.1x)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    args = parser.parse_args(argv)
    huge_feed()
    with tempfile.TemporaryDirectory() as tmp, feed_server(args.hosts) as origins:
        for label, url in databases(tmp, "watch"):
            cycles = run_database(label, url, origins, args.sources)
            report(label, args.sources, args.hosts, cycles)


if __name__ == "__main__":
    main()
