"""What every entry point needs once: settings, logging, the keyring, an engine, sessions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, load_settings
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
        keyring.configure(settings.UABOT_SECRET_KEYS)
        return cls(settings)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.DATABASE_URL)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)
