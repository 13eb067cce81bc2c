"""`uabot run` as docs/DEPLOY.md runs it: webhook mode with Telegram's secret token, and
/healthz and /metrics answering while it broadcasts. The local Bot API server stands in for
Telegram (it pushes updates to the webhook with the secret, as Telegram does)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.sandbox.local import RunningServer, run_server
from tests.cli.test_cli import UABOT, Uabot

SECRET = "deploy-test_secret-0123456789"
SUBSCRIBERS = 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[str], log: Path) -> httpx.Response:
    for _ in range(600):
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered {url}:\n{log.read_text()}")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[RunningServer, int, int, Uabot]]:
    uabot = Uabot(tmp_path)
    uabot.ok("db", "upgrade")
    uabot.ok("demo", "load", "--subscribers", str(SUBSCRIBERS))
    hook_port, health_port = free_port(), free_port()
    with run_server(global_rate=None) as server:
        env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
        env |= {
            "DATABASE_URL": f"sqlite:///{uabot.db}",
            "TELEGRAM_TOKEN": "123456:deploy-test",
            "BOT_API_BASE_URL": server.base_url,
            "WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/hook",
            "WEBHOOK_SECRET": SECRET,
            "HEALTH_PORT": str(health_port),
            "DELIVERY_PER_CHAT_RATE": "0",
        }
        log = tmp_path / "run.log"
        with log.open("w") as sink:
            process = subprocess.Popen(
                [
                    str(UABOT),
                    "run",
                    "--webhook-port",
                    str(hook_port),
                    "--webhook-listen",
                    "127.0.0.1",
                ],
                cwd=tmp_path,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                text=True,
            )
        try:
            wait_for(f"http://127.0.0.1:{health_port}/healthz", process, log)
            yield server, hook_port, health_port, uabot
        finally:
            process.terminate()
            process.wait(20)


def test_webhook_mode_answers_telegram_pushes_and_refuses_requests_without_the_secret(
    running: tuple[RunningServer, int, int, Uabot],
) -> None:
    server, hook_port, _, _ = running
    for _ in range(100):  # run_webhook calls setWebhook just after the server listens
        if server.control.counters()["requests"].get("setWebhook"):
            break
        time.sleep(0.1)

    server.control.send_text(1001, "/help", first_name="Aigerim", language_code="en")
    [reply] = server.control.wait(1001, count=1, timeout=30)
    forged = httpx.post(
        f"http://127.0.0.1:{hook_port}/hook",
        json={"update_id": 999_999, "message": {"message_id": 1, "date": 0, "text": "/start"}},
    )
    wrong = httpx.post(
        f"http://127.0.0.1:{hook_port}/hook",
        json={"update_id": 999_998},
        headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
    )

    assert reply["plain_text"]
    assert (forged.status_code, wrong.status_code) == (403, 403)


def test_healthz_and_metrics_answer_during_a_broadcast(
    running: tuple[RunningServer, int, int, Uabot],
) -> None:
    server, _, health_port, uabot = running
    base = f"http://127.0.0.1:{health_port}"
    published = uabot.ok("cases", "publish", "KZ-2026-001")
    during = httpx.get(base + "/healthz", timeout=10)
    for _ in range(300):
        if server.control.counters()["sent"] >= SUBSCRIBERS:
            break
        time.sleep(0.1)
    after = httpx.get(base + "/metrics", timeout=10).text

    assert str(SUBSCRIBERS) in published
    assert during.status_code == 200
    assert during.json()["database"] == "ok"
    assert during.json()["sender"] in ("active", "standby")
    assert f'uabot_sends_total{{outcome="sent"}} {SUBSCRIBERS}.0' in after
