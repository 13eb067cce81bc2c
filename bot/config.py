"""Settings from the environment and an optional `.env`; a wrong value stops start-up early."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.languages import CONTENT_ORDER, LANGUAGES
from bot.schedule import parse_offsets

DEFAULT_DATABASE_URL = "sqlite:///var/uabot.sqlite3"


class ConfigError(Exception):
    """One clear line naming the variable that is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    DATABASE_URL: str = DEFAULT_DATABASE_URL
    TELEGRAM_TOKEN: str | None = None
    BOT_API_BASE_URL: str | None = None
    WEBHOOK_URL: str | None = None
    # Where bot/letters/mail.html is served (https, any static host): Telegram's URL buttons
    # take only http(s) and tg:// links, so a one-tap e-mail is this page with the mailto:
    # link after its "#" (docs/LETTERS.md, "One-tap e-mail"). Unset: the .eml file instead.
    MAIL_PAGE_URL: str | None = None
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; other requests get a 403.
    WEBHOOK_SECRET: str | None = Field(default=None, repr=False, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    ADMIN_IDS: Annotated[tuple[int, ...], NoDecode] = ()
    UABOT_SECRET_KEYS: Annotated[tuple[str, ...], NoDecode] = Field(default=(), repr=False)
    TZ: str = "UTC"
    # A reader whose language a case lacks gets the next language of this order that it has
    # (bot/domain/translations.py), then the case's original.
    CONTENT_LANGUAGE_ORDER: Annotated[tuple[str, ...], NoDecode] = CONTENT_ORDER
    SANDBOX_HOST: str = "127.0.0.1"
    SANDBOX_PORT: int = 8080
    LOG_LEVEL: str = "INFO"
    # /healthz and /metrics of `uabot run` and `uabot worker` (bot/ops.py); port 0: not served.
    HEALTH_HOST: str = "127.0.0.1"
    HEALTH_PORT: int = Field(default=9465, ge=0, le=65535)
    # Delivery (bot/delivery): Telegram's documented limits by default; a rate of 0 means none.
    DELIVERY_GLOBAL_RATE: float = Field(default=30.0, ge=0)
    DELIVERY_GLOBAL_BURST: float = Field(default=3.0, ge=1)
    DELIVERY_PER_CHAT_RATE: float = Field(default=1.0, ge=0)
    DELIVERY_PER_CHAT_BURST: float = Field(default=1.0, ge=1)
    DELIVERY_GROUP_PER_MINUTE: int = Field(default=20, ge=0)
    DELIVERY_WINDOW_GUARD: float = Field(default=0.002, ge=0, le=1)
    DELIVERY_BATCH_SIZE: int = Field(default=20, ge=1, le=1000)
    DELIVERY_CONCURRENCY: int = Field(default=8, ge=1, le=256)
    DELIVERY_RETRY_BASE: float = Field(default=2.0, gt=0)
    DELIVERY_RETRY_MAX: float = Field(default=300.0, gt=0)
    DELIVERY_RETRY_DEADLINE: float = Field(default=86_400.0, gt=0)
    DELIVERY_POLL_INTERVAL: float = Field(default=0.25, gt=0, le=60)
    DELIVERY_STANDBY_INTERVAL: float = Field(default=1.0, gt=0, le=5)
    # The scheduler (bot/scheduler.py): reminders before each deadline, e.g. "48h,6h" or
    # "3d,90m"; coordinators nudged after this many days without further information; the
    # longest it goes without re-reading the schedule (a deadline edited elsewhere).
    REMINDER_OFFSETS: str = "48h,6h"
    STALE_AFTER_DAYS: int = Field(default=14, ge=1, le=365)
    SCHEDULER_INTERVAL: float = Field(default=60.0, gt=0, le=3600)
    # Source watch (bot/watch): how often each source is checked by default (jittered), and
    # how politely; private addresses are refused unless WATCH_ALLOW_PRIVATE says otherwise.
    WATCH_ENABLED: bool = True
    WATCH_INTERVAL: int = Field(default=3600, ge=60, le=7 * 86_400)
    WATCH_TIMEOUT: float = Field(default=20.0, gt=0, le=300)
    WATCH_CONCURRENCY: int = Field(default=8, ge=1, le=256)
    WATCH_PER_HOST: int = Field(default=2, ge=1, le=64)
    WATCH_MAX_BYTES: int = Field(default=2_000_000, ge=10_000, le=50_000_000)
    WATCH_MAX_REDIRECTS: int = Field(default=5, ge=0, le=20)
    WATCH_ALLOW_PRIVATE: bool = False
    WATCH_USER_AGENT: str = Field(
        default="uabot-watch/0.1 (urgent-action source watch; conditional requests, hourly)",
        min_length=8,
        max_length=200,
    )
    WATCH_FAILING_AFTER: float = Field(default=86_400.0, gt=0)
    # Against a seized staff phone (bot/domain/safeguards.py): a /person reply is deleted from
    # the chat after REVEAL_DELETE_AFTER seconds (Telegram allows up to 48 hours), looked for
    # every REVEAL_SWEEP_INTERVAL seconds; each member may reveal REVEAL_BUDGET times per
    # REVEAL_BUDGET_WINDOW seconds.
    REVEAL_DELETE_AFTER: int = Field(default=600, ge=10, le=47 * 3600)
    REVEAL_SWEEP_INTERVAL: float = Field(default=30.0, gt=0, le=3600)
    REVEAL_BUDGET: int = Field(default=10, ge=1, le=1000)
    REVEAL_BUDGET_WINDOW: int = Field(default=3600, ge=60, le=7 * 86_400)
    # Retention (bot/domain/retention.py): restricted fields of a case closed this many days
    # are erased, a week after its coordinators were told.
    RETENTION_DAYS: int = Field(default=180, ge=14, le=36_500)
    # Coordinators' letter bodies (bot/letters/bounded.py): each render's bounds.
    LETTER_RENDER_SECONDS: float = Field(default=3.0, gt=0, le=60)
    LETTER_RENDER_STEPS: int = Field(default=200_000, ge=1_000)
    LETTER_RENDER_OUTPUT: int = Field(default=40_000, ge=1_000, le=1_000_000)
    LETTER_RENDER_MEMORY_MB: int = Field(default=512, ge=128, le=8192)

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if not scheme.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return value

    @field_validator("BOT_API_BASE_URL", "WEBHOOK_URL", "MAIL_PAGE_URL")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8081/bot")
        return value

    @field_validator("TELEGRAM_TOKEN")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("WEBHOOK_SECRET", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return value or None

    @field_validator("ADMIN_IDS", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> tuple[int, ...]:
        if isinstance(value, (tuple, list)):
            return tuple(int(v) for v in value)
        items = [item.strip() for item in str(value or "").split(",") if item.strip()]
        if not all(item.lstrip("-").isdigit() for item in items):
            raise ValueError("must be comma-separated numeric Telegram user ids")
        return tuple(int(item) for item in items)

    @field_validator("CONTENT_LANGUAGE_ORDER", mode="before")
    @classmethod
    def _content_order(cls, value: object) -> tuple[str, ...]:
        items = value if isinstance(value, (tuple, list)) else str(value or "").split(",")
        codes = tuple(str(item).strip().lower() for item in items if str(item).strip())
        if (
            not codes
            or any(code not in LANGUAGES for code in codes)
            or len(set(codes)) < len(codes)
        ):
            raise ValueError(
                f"must be languages from {', '.join(LANGUAGES)}, comma-separated, each once"
            )
        return codes

    @field_validator("UABOT_SECRET_KEYS", mode="before")
    @classmethod
    def _secret_keys(cls, value: object) -> tuple[str, ...]:
        if isinstance(value, (tuple, list)):
            keys = tuple(str(item) for item in value)
        else:
            keys = tuple(item.strip() for item in str(value or "").split(",") if item.strip())
        for key in keys:
            try:
                Fernet(key.encode())
            except ValueError:
                # Never repeat the value: it is a secret, even when it is a wrong one.
                raise ValueError(
                    "must be comma-separated Fernet keys (44 characters of url-safe base64)"
                ) from None
        return keys

    @field_validator("REMINDER_OFFSETS")
    @classmethod
    def _reminder_offsets(cls, value: str) -> str:
        parse_offsets(value)  # raises ValueError with the reason
        return value.strip()

    @field_validator("TZ")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as UTC or Asia/Almaty") from None
        return value

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.TZ)

    @property
    def reminder_offsets(self) -> tuple[timedelta, ...]:
        return parse_offsets(self.REMINDER_OFFSETS)

    @property
    def sandbox(self) -> bool:
        """No token means the offline sandbox: the local Bot API server stands in for Telegram."""
        return self.TELEGRAM_TOKEN is None


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line naming the variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"]) or "settings"
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"configuration error: {name} {message}") from None
    if settings.DATABASE_URL.startswith("sqlite:///"):
        path = settings.DATABASE_URL.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
