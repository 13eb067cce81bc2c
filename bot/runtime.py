"""What every entry point needs once: settings, logging, the keyring, an engine, sessions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import logging_filters
from bot.config import ConfigError, Settings, load_settings
from bot.store import restricted
from bot.store.crypto import keyring
from bot.store.db import make_engine, make_session_factory


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
