"""Bot latency: from an update injected into the local Bot API server to the bot's reply.

With 10,000 active cases and 100,000 subscribers in the store, p50/p95 for /cases, /case REF
and /acted REF, beside a bare echo handler measured in the same run on the same server.
Targets: p95 under 30 ms, and within 3x of the echo handler.

    .venv/bin/python benchmarks/bench_bot.py [--cases 10000] [--subscribers 100000] [--n 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import insert, select, update
from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.domain import demo
from bot.sandbox.local import ControlClient, run_server
from bot.store import migrate
from bot.store.crypto import generate_key, keyring
from bot.store.db import make_engine, make_session_factory
from bot.store.models import Case, CaseTarget, Person, Target, utcnow
from bot.telegram.app import build_application
from bot.telegram.thread import BotThread

TOKEN = "424242:BENCH"


def seed(url: str, n_cases: int, n_subscribers: int) -> list[str]:
    """Bulk rows straight into the tables: the domain path would take minutes for 10,000."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    now = utcnow()
    refs = [f"KZ-2026-{i:05d}" for i in range(1, n_cases + 1)]
    with sessions.begin() as session:
        target = Target(title="Prosecutor General", name="Demo", country="KZ")
        session.add(target)
        session.flush()
        session.execute(
            insert(Case),
            [
                {
                    "ref": ref,
                    "title": f"Bench case {i}",
                    "country": "KZ",
                    "timezone": "Asia/Almaty",
                    "summary": "Summary " * 20,
                    "background": "",
                    "themes": ["detention"],
                    "languages": ["en"],
                    "deadline": now + timedelta(days=1 + i % 60),
                    "deadline_version": 1,
                    "status": "active",
                    "demo": True,
                    "created_at": now,
                    "updated_at": now,
                    "fi_count": 0,
                }
                for i, ref in enumerate(refs)
            ],
        )
        ids = {ref: id_ for ref, id_ in session.execute(select(Case.ref, Case.id))}
        session.execute(
            insert(Person),
            [
                {"case_id": ids[r], "position": 1, "name": "Person", "status": "detained"}
                for r in refs
            ],
        )
        session.execute(
            insert(CaseTarget),
            [
                {"case_id": ids[r], "target_id": target.id, "role": "primary", "position": 1}
                for r in refs
            ],
        )
        demo.load_subscribers(session, n_subscribers)
        session.execute(update(Case).values(status="active"))
    engine.dispose()
    return refs


def measure(control: ControlClient, texts: Callable[[int], tuple[int, str]], n: int) -> list[float]:
    samples = []
    for i in range(n):
        chat_id, text = texts(i)
        started = time.perf_counter()
        sent = control.send_text(chat_id, text)
        control.wait(chat_id, count=1, since=sent["message_id"], timeout=10)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(update.effective_message.text or "")


def report(name: str, samples: list[float], echo_p95: float | None) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=100)
    p50, p95 = statistics.median(samples), q[94]
    ratio = f"  {p95 / echo_p95:4.2f}x echo p95" if echo_p95 else ""
    verdict = ""
    if echo_p95:
        verdict = "  ok" if p95 < 30 and p95 / echo_p95 <= 3 else "  MISSED (target p95<30ms, <=3x)"
    print(f"  {name:<14} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms{ratio}{verdict}")
    return p50, p95


def run(url: str, label: str, n_cases: int, n_subscribers: int, n: int) -> None:
    started = time.perf_counter()
    refs = seed(url, n_cases, n_subscribers)
    print(
        f"[{label}] seeded {n_cases} cases, {n_subscribers} subscribers "
        f"in {time.perf_counter() - started:.1f}s"
    )
    sessions = make_session_factory(make_engine(url))
    with run_server() as server:
        echo_app = ApplicationBuilder().token("1:ECHO").base_url(server.base_url).build()
        echo_app.add_handler(CommandHandler("echo", _echo))
        with BotThread(echo_app):
            measure(server.control, lambda i: (5_000_000 + i, "/echo hi"), 20)  # warm-up
            echo = measure(server.control, lambda i: (5_000_000 + i, "/echo hi"), n)
        app = build_application(TOKEN, sessions, base_url=server.base_url)
        with BotThread(app):
            step = max(1, len(refs) // n)
            measure(server.control, lambda i: (1 + i, "/cases"), 20)  # warm-up
            commands = {
                "/cases": lambda i: (1 + i, "/cases"),
                "/case REF": lambda i: (1 + i, f"/case {refs[(i * step) % len(refs)]}"),
                "/acted REF": lambda i: (1 + i, f"/acted {refs[(i * step) % len(refs)]}"),
            }
            results = {name: measure(server.control, texts, n) for name, texts in commands.items()}
    _, echo_p95 = report("echo (ref)", echo, None)
    for name, samples in results.items():
        report(name, samples, echo_p95)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args(argv)
    keyring.configure([generate_key()])
    print("bot latency: injected update -> bot reply, through the local Bot API server")
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.sqlite3", "sqlite", args.cases, args.subscribers, args.n)
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        engine = make_engine(pg)
        migrate.downgrade(engine, "base")
        engine.dispose()
        run(pg, "postgresql", args.cases, args.subscribers, args.n)


if __name__ == "__main__":
    main()
