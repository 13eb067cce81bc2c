"""What every entry point needs once: settings, logging, the keyring, an engine, sessions;
and the one rule for blocking work in an async process (`off_loop`)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import languages, logging_filters
from bot.config import ConfigError, Settings, load_settings
from bot.store import restricted
from bot.store.crypto import keyring
from bot.store.db import make_engine, make_session_factory

P = ParamSpec("P")
T = TypeVar("T")

# Threads for blocking work: database transactions, rendering, PDFs, zips, exports. Bounded,
# like Starlette's thread pool for sync endpoints: a burst of commands queues here instead of
# starting a thread each, and the event loop (the sender, the bot's updates) stays free.
BLOCKING_WORKERS = 8
_THREAD_PREFIX = "uabot-blocking"
_pool: ThreadPoolExecutor | None = None


def blocking_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(BLOCKING_WORKERS, thread_name_prefix=_THREAD_PREFIX)
    return _pool


# CPU-bound work that holds the GIL for long stretches (fpdf2 laying out a letter) slows the
# event loop even from another thread: from the blocking pool it goes to a process of its own.
CPU_WORKERS = 1
_cpu_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def in_process(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run CPU-bound, picklable `fn` in a separate process when called from the blocking pool
    (an async process's `off_loop`), so that it does not hold the event loop's GIL; called
    elsewhere (the CLI, tests), run it here. Waits for the result either way."""
    global _cpu_pool
    if not threading.current_thread().name.startswith(_THREAD_PREFIX):
        return fn(*args, **kwargs)
    with _pool_lock:
        if _cpu_pool is None:
            context = multiprocessing.get_context("spawn")  # never fork a threaded process
            _cpu_pool = ProcessPoolExecutor(CPU_WORKERS, mp_context=context)
    return _cpu_pool.submit(fn, *args, **kwargs).result()


async def off_loop(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run synchronous `fn` in the bounded pool and await its result: the one way async
    code (handlers, the scheduler, the watcher) does blocking work. Context variables go
    with it, as with `asyncio.to_thread`."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(blocking_pool(), call)


@dataclass
class Runtime:
    settings: Settings

    @classmethod
    def from_environment(cls) -> Runtime:
        settings = load_settings()
        logging.basicConfig(
            level=settings.LOG_LEVEL.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        # Before anything else can log: no token, key or message text in any record.
        logging_filters.install(settings.TELEGRAM_TOKEN, *settings.UABOT_SECRET_KEYS)
        keyring.configure(settings.UABOT_SECRET_KEYS)
        languages.configure_content_order(settings.CONTENT_LANGUAGE_ORDER)
        return cls(settings)

    def require_keys(self) -> None:
        """Refuse to start (one line) when the keys cannot read the restricted data stored."""
        with self.sessions() as session:
            problem = restricted.key_problem(session)
        if problem is not None:
            raise ConfigError(problem)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.DATABASE_URL)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)
