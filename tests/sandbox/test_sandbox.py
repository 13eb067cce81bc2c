"""`uabot sandbox` starts the server alone and says where it is."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_sandbox_prints_its_base_url_and_serves_it() -> None:
    port = free_port()
    uabot = Path(sys.executable).with_name("uabot")
    process = subprocess.Popen(
        [str(uabot), "sandbox", "--port", str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        lines = [process.stdout.readline() for _ in range(2)]  # type: ignore[union-attr]
        base_url = lines[1].strip().removeprefix("BOT_API_BASE_URL=")
        for _ in range(50):
            try:
                me = httpx.get(f"{base_url}1:x/getMe").json()
                break
            except httpx.ConnectError:
                time.sleep(0.05)  # the socket opens just after the print
    finally:
        process.terminate()
        process.wait(5)

    assert base_url == f"http://127.0.0.1:{port}/bot"
    assert me["result"]["is_bot"] is True
