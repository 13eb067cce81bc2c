"""`uabot run` with a token, as real processes: the Bot API server unreachable, a token it
refuses, setMyCommands failing. One clear line each, the right exit, no traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.sandbox.local import run_server
from tests.conftest import TEST_KEY

UABOT = Path(sys.executable).with_name("uabot")
TOKEN = "123456:STARTUP-test"


class Run:
    """`uabot run` in its own directory and SQLite file, its output in one file."""

    def __init__(self, directory: Path, base_url: str, token: str = TOKEN) -> None:
        self.output = directory / "output.log"
        env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
        env |= {
            "DATABASE_URL": f"sqlite:///{directory / 'uabot.sqlite3'}",
            "UABOT_SECRET_KEYS": TEST_KEY,
            "TELEGRAM_TOKEN": token,
            "BOT_API_BASE_URL": base_url,
            "WATCH_ENABLED": "false",
        }
        subprocess.run([str(UABOT), "db", "upgrade"], env=env, check=True, capture_output=True)
        with self.output.open("wb") as sink:
            self.process = subprocess.Popen(
                [str(UABOT), "run"], env=env, stdout=sink, stderr=subprocess.STDOUT
            )

    def text(self) -> str:
        return self.output.read_text()

    def wait_for(self, wanted: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while wanted not in self.text():
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"{wanted!r} not printed; got:\n{self.text()}")
            time.sleep(0.05)
        return self.text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    started: list[Run] = []

    def start(base_url: str, token: str = TOKEN) -> Run:
        directory = tmp_path / f"run{len(started)}"
        directory.mkdir()
        started.append(Run(directory, base_url, token))
        return started[-1]

    yield start
    for run in started:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lines(text: str, about: str) -> list[str]:
    return [line for line in text.splitlines() if about in line]


def test_an_unreachable_server_is_one_line_then_retried_until_it_answers(
    runs: Callable[..., Run],
) -> None:
    port = _free_port()  # nothing listens there yet
    server = f"http://127.0.0.1:{port}"
    run = runs(f"{server}/bot")
    run.wait_for("Cannot reach")
    time.sleep(2.5)  # a few retries: said once, not once a retry

    with run_server(port=port) as running:
        text = run.wait_for("uabot is running against")
        running.control.send_text(42, "/start")
        running.control.wait(42, count=1, timeout=20)  # up and answering
        assert f"Connected to the Bot API server at {server} as @uabot_test_bot." in text
        assert run.stop() == 0

    text = run.text()
    [unreachable] = _lines(text, "Cannot reach")
    assert unreachable.startswith(f"Cannot reach the Bot API server at {server} (")
    assert f"uabot is running against the Bot API server at {server} (long polling)" in text
    assert "against Telegram" not in text
    assert "Traceback" not in text and TOKEN not in text
    assert "Warning" not in text and "WARNING" not in text


def test_a_refused_token_is_one_line_naming_telegram_token_and_exit_1(
    runs: Callable[..., Run],
) -> None:
    with run_server() as server:
        run = runs(server.base_url, token="not-a-token")  # the server answers 401
        code = run.process.wait(60)

    text = run.text()
    assert code == 1
    assert "Traceback" not in text and "not-a-token" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[-1] == (
        f"Error: The Bot API server at {server.url} refused TELEGRAM_TOKEN (401 Unauthorized):"
        " check the token @BotFather gave you."
    )


def test_set_my_commands_failing_is_a_warning_and_the_bot_runs(runs: Callable[..., Run]) -> None:
    with run_server(failing_methods=["setMyCommands"]) as server:
        run = runs(server.base_url)
        run.wait_for("uabot is running against")
        run.wait_for("could not set the command menus")
        server.control.send_text(42, "/start")
        server.control.wait(42, count=1, timeout=20)  # it answers all the same
        code = run.stop()

    text = run.text()
    assert code == 0
    assert len(_lines(text, "could not set the command menus")) == 1
    assert "Traceback" not in text
