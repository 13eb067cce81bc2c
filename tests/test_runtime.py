"""The one rule for blocking work: `off_loop` runs it in the bounded pool while the event
loop goes on (the sender, the bot's updates)."""

from __future__ import annotations

import asyncio
import contextvars
import threading

from bot.runtime import BLOCKING_WORKERS, blocking_pool, off_loop

REQUEST = contextvars.ContextVar("REQUEST", default="none")


async def test_blocking_work_runs_in_the_pool_while_the_loop_goes_on() -> None:
    loop_ran = threading.Event()

    def blocking() -> str:
        # On the loop's own thread this would wait for ever: the loop could not set it.
        assert loop_ran.wait(10), "the event loop was held while the work ran"
        return threading.current_thread().name

    async def meanwhile() -> None:
        await asyncio.sleep(0)
        loop_ran.set()

    name, _ = await asyncio.gather(off_loop(blocking), meanwhile())
    assert name.startswith("uabot-blocking")
    assert name != threading.current_thread().name


async def test_the_pool_is_bounded_and_context_variables_go_along() -> None:
    REQUEST.set("42")
    seen = await off_loop(REQUEST.get)
    assert seen == "42"
    assert blocking_pool()._max_workers == BLOCKING_WORKERS
    names = await asyncio.gather(
        *(off_loop(lambda: threading.current_thread().name) for _ in range(50))
    )
    assert len(set(names)) <= BLOCKING_WORKERS
