"""A fresh local Bot API server per test, and python-telegram-bot's real Bot talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.sandbox.local import RunningServer, run_server

TOKEN = "123456:TEST-token"
BOT_ID = 123456


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with run_server() as running:
        yield running


def plain_http() -> HTTPXRequest:
    """PTB's own request class, minus loading CA certificates (~50 ms a Bot) plain HTTP skips."""
    return HTTPXRequest(httpx_kwargs={"verify": False})


@pytest.fixture
async def bot(server: RunningServer) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN,
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        request=plain_http(),
        get_updates_request=plain_http(),
    ) as tg:
        yield tg
