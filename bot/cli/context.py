"""The runtime a command needs, built on first use so `uabot --help` works with a broken .env."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from bot.runtime import Runtime


class LazyRuntime:
    _runtime: Runtime | None = None

    def get(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime.from_environment()
        return self._runtime

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.get().sessions.begin() as session:
            yield session


pass_runtime = click.make_pass_decorator(LazyRuntime)
