"""Run a python-telegram-bot Application in a background thread with its own event loop.

Tests and benchmarks drive the bot from synchronous code through the local Bot API server's
control API; the bot must keep polling meanwhile, so it cannot share their thread.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from telegram.ext import Application


class BotThread:
    """An Application polling in a background thread, started and stopped cleanly."""

    def __init__(self, application: Application) -> None:
        self.application = application
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> BotThread:
        self.thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def run(self, coroutine: Any, timeout: float = 20) -> Any:
        """Run a coroutine on the bot's loop (e.g. the delivery sender) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> None:
        app = self.application
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        if app.updater is None:
            raise RuntimeError("the Application was built without an Updater")
        await app.updater.start_polling(poll_interval=0.0, timeout=5)
        await app.start()

    async def _stop(self) -> None:
        app = self.application
        if app.updater is not None:
            await app.updater.stop()
        await app.stop()
        # run_polling() calls these hooks itself; a hand-driven Application must too
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
