"""Coordinators' letter bodies rendered apart from the bot, under bounds on time, steps,
output and memory.

A body is a Jinja template a coordinator typed. Jinja's sandbox keeps it from reaching what
it must not, but not from spending: two nested loops can take minutes, one `%` format or a
chain of `~` can ask for gigabytes. So a body is rendered in a process of its own (one,
started once, reused), where:

- **steps**: every line of the compiled template that runs, each turn of a loop included,
  counts one; past `steps` the render stops;
- **output**: the text is taken as it is produced; past `output` characters it stops;
- **memory**: the process's address space is capped (RLIMIT_AS), so a huge string is a
  MemoryError there, not here;
- **time**: the caller waits `seconds` at most; then the process is killed, and the next
  render starts a fresh one.

The caller's thread waits on a pipe (no GIL held), so the event loop and other threads go
on meanwhile; renders queue one at a time.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from bot.config import get_settings

BOUNDS = ("time", "steps", "output", "memory")
# The compiled code of a template made by Environment.from_string.
TEMPLATE_FILENAME = "<template>"
CHILD_ENVIRONMENT = frozenset({"PATH", "PYTHONPATH", "HOME", "LANG", "LC_ALL", "TZ"})
STARTUP_SECONDS = 60.0  # importing Jinja and Babel on a loaded machine: not the body's time


@dataclass(frozen=True)
class Bounds:
    seconds: float = 3.0
    steps: int = 200_000
    output: int = 40_000  # characters
    memory: int = 512 * 2**20  # bytes of address space for the rendering process

    @classmethod
    def from_settings(cls) -> Bounds:
        settings = get_settings()
        return cls(
            seconds=settings.LETTER_RENDER_SECONDS,
            steps=settings.LETTER_RENDER_STEPS,
            output=settings.LETTER_RENDER_OUTPUT,
            memory=settings.LETTER_RENDER_MEMORY_MB * 2**20,
        )


class Exceeded(Exception):
    """A body went past one of its bounds: `bound` is one of BOUNDS, `limit` its value."""

    def __init__(self, bound: str, limit: float) -> None:
        super().__init__(f"{bound} bound ({limit:g}) exceeded")
        self.bound = bound
        self.limit = limit


# --- in the rendering process ------------------------------------------------------------


class _Steps:
    """A trace function counting the lines template code runs; Exceeded past `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def on_call(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        return self.on_line if frame.f_code.co_filename == TEMPLATE_FILENAME else None

    def on_line(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if event == "line":
            self.count += 1
            if self.count > self.limit:
                raise Exceeded("steps", self.limit)
        return self.on_line


@contextlib.contextmanager
def counting_steps(limit: int) -> Iterator[_Steps]:
    """Count (and bound) the template lines run in this thread within the block."""
    steps = _Steps(limit)
    sys.settrace(steps.on_call)
    try:
        yield steps
    finally:
        sys.settrace(None)


def joined(chunks: Iterator[str], limit: int) -> str:
    """The chunks of a template's output, joined; Exceeded past `limit` characters."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise Exceeded("output", limit)
        parts.append(chunk)
    return "".join(parts)


Job = Callable[..., Any]


def serve(memory: int) -> None:
    """The rendering process (bot/letters/render_process.py): cap the address space, then
    run the jobs read from stdin, answering on stdout, until stdin closes."""
    with contextlib.suppress(ValueError, OSError):  # a platform without RLIMIT_AS: time still
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    jobs, answers = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    sys.stdout = sys.stderr  # nothing but answers on the pipe
    answers.send(("ready", None))
    while True:
        try:
            job, args = jobs.recv()
        except (EOFError, OSError):
            return
        try:
            result: tuple[str, Any] = ("ok", job(*args))
        except Exceeded as exc:
            result = ("exceeded", (exc.bound, exc.limit))
        except MemoryError:
            result = ("exceeded", ("memory", memory))
        answers.send(result)


# --- in the bot ----------------------------------------------------------------------------


class Renderer:
    """One rendering process for `memory`, started on first use and after a kill. A plain
    child process (`python -m bot.letters.render_process`), not multiprocessing's: nothing
    of the bot's own main module is run again in it."""

    def __init__(self, memory: int) -> None:
        self.memory = memory
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._pipes: tuple[Connection, Connection] | None = None  # jobs, answers

    def run(self, job: Job, args: tuple[Any, ...], seconds: float) -> Any:
        """`job(*args)` in the process (a module-level function: it is sent by name);
        Exceeded("time") if it has not answered within `seconds`."""
        with self._lock:
            jobs, answers = self._started()
            jobs.send((job, args))
            if not answers.poll(seconds):
                self.stop()
                raise Exceeded("time", seconds)
            try:
                kind, value = answers.recv()
            except (EOFError, OSError):  # killed by the kernel past its memory
                self.stop()
                raise Exceeded("memory", self.memory) from None
        if kind == "exceeded":
            raise Exceeded(*value)
        return value

    def _started(self) -> tuple[Connection, Connection]:
        if self._process is not None and self._pipes is not None and self._process.poll() is None:
            return self._pipes
        self.stop()
        job_read, job_write = os.pipe()
        answer_read, answer_write = os.pipe()
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "bot.letters.render_process", str(self.memory)],
            stdin=job_read,
            stdout=answer_write,
            # Not the bot's environment: a body never runs beside the token or the keys.
            env={k: v for k, v in os.environ.items() if k in CHILD_ENVIRONMENT},
        )
        os.close(job_read)
        os.close(answer_write)
        jobs = Connection(job_write, readable=False)
        answers = Connection(answer_read, writable=False)
        self._process, self._pipes = process, (jobs, answers)
        if not answers.poll(STARTUP_SECONDS):
            self.stop()
            raise RuntimeError("the letter rendering process did not start")
        answers.recv()
        return jobs, answers

    def stop(self) -> None:
        for conn in self._pipes or ():
            conn.close()
        if self._process is not None:
            self._process.kill()
            self._process.wait(5)
        self._process, self._pipes = None, None


_renderers: dict[int, Renderer] = {}
_renderers_lock = threading.Lock()


def renderer(memory: int) -> Renderer:
    """The process for this memory bound (one per bound: it is set when the process starts)."""
    with _renderers_lock:
        if memory not in _renderers:
            _renderers[memory] = Renderer(memory)
        return _renderers[memory]


def run(job: Job, args: tuple[Any, ...], bounds: Bounds) -> Any:
    return renderer(bounds.memory).run(job, args, bounds.seconds)
