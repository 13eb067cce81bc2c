"""Turns the state's events into things a coroutine can wait on: long polls and event streams.

Per-chat queues are what server-sent events (and, later, the web chat) read from.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from bot.sandbox.state import BotState, Event

CLOSED = Event("closed", None, {})  # put in each event queue when the server shuts down


class Hub:
    def __init__(self, state: BotState) -> None:
        self.state = state
        self._wakers: set[asyncio.Future[None]] = set()
        self._chat_queues: defaultdict[int, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._stop_listening = state.listen(self._on_event)
        self.poll_generation = 0  # a new getUpdates call ends any older one, as in Telegram

    def close(self) -> None:
        """Stop listening, and end every event stream and wait (the server is going away)."""
        self._stop_listening()
        for queues in self._chat_queues.values():
            for queue in queues:
                queue.put_nowait(CLOSED)
        self.wake()

    def _on_event(self, event: Event) -> None:
        if event.chat_id is not None:
            for queue in self._chat_queues.get(event.chat_id, ()):
                queue.put_nowait(event)
        self.wake()

    def wake(self) -> None:
        """Let every waiter look again at the state."""
        for waker in self._wakers:
            if not waker.done():
                waker.set_result(None)
        self._wakers.clear()

    async def wait_until(self, predicate: Callable[[], bool], seconds: float) -> bool:
        """True once `predicate()` holds, False if `seconds` pass first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            waker: asyncio.Future[None] = loop.create_future()
            self._wakers.add(waker)
            try:
                # asyncio.wait, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that arrives as the waker fires, and the server never stops.
                await asyncio.wait({waker}, timeout=remaining)
            finally:
                self._wakers.discard(waker)
        return True

    def subscribe(self, chat_id: int) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._chat_queues[chat_id].add(queue)
        return queue

    def unsubscribe(self, chat_id: int, queue: asyncio.Queue[Event]) -> None:
        self._chat_queues[chat_id].discard(queue)
        if not self._chat_queues[chat_id]:
            del self._chat_queues[chat_id]
