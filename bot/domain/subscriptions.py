"""Subscribers and what they follow: all cases, one case, a country or a theme."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.domain.errors import (
    InvalidCountry,
    InvalidSigner,
    InvalidTimezone,
    InvalidValue,
    NotSubscribed,
    UnknownTheme,
)
from bot.domain.vocab import THEMES, normalise_country
from bot.store.db import rowcount
from bot.store.models import (
    SCOPE_KINDS,
    SUBSCRIBER_MODES,
    AuditEvent,
    Delivery,
    Scope,
    Subscriber,
)
from bot.texts import normalise_language


@dataclass(frozen=True)
class FollowResult:
    subscriber: Subscriber
    kind: str
    value: str
    created: bool


def get_subscriber(session: Session, chat_id: int) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.chat_id == chat_id))


def ensure_subscriber(session: Session, chat_id: int, language: str | None = None) -> Subscriber:
    """The subscriber for this chat, (re)activated: a person who writes to the bot is reachable."""
    subscriber = get_subscriber(session, chat_id)
    if subscriber is None:
        subscriber = Subscriber(chat_id=chat_id, language=normalise_language(language))
        session.add(subscriber)
        session.flush()
    elif subscriber.status != "active":
        subscriber.status = "active"
    return subscriber


def _scope(session: Session, kind: str, value: str) -> tuple[str, str]:
    from bot.domain.cases import visible_case

    kind = kind.strip().lower()
    if kind not in SCOPE_KINDS:
        raise InvalidValue(field="scope", limit=0, allowed=SCOPE_KINDS)
    if kind == "all":
        return kind, "*"
    if kind == "country":
        country = normalise_country(value)
        if country is None:
            raise InvalidCountry(value=value.strip()[:8])
        return kind, country
    if kind == "theme":
        theme = value.strip().lower()
        if theme not in THEMES:
            raise UnknownTheme(theme=theme[:40], themes=THEMES)
        return kind, theme
    return kind, visible_case(session, value).ref


def follow(
    session: Session, chat_id: int, kind: str, value: str = "*", language: str | None = None
) -> FollowResult:
    kind, value = _scope(session, kind, value)
    subscriber = ensure_subscriber(session, chat_id, language)
    existing = session.scalar(
        select(Scope).where(
            Scope.subscriber_id == subscriber.id, Scope.kind == kind, Scope.value == value
        )
    )
    if existing is None:
        session.add(Scope(subscriber_id=subscriber.id, kind=kind, value=value))
    return FollowResult(subscriber, kind, value, created=existing is None)


def unfollow(session: Session, chat_id: int, kind: str, value: str = "*") -> FollowResult:
    kind, value = _scope(session, kind, value)
    subscriber = get_subscriber(session, chat_id)
    if subscriber is None:
        raise NotSubscribed()
    removed = rowcount(
        session.execute(
            delete(Scope).where(
                Scope.subscriber_id == subscriber.id, Scope.kind == kind, Scope.value == value
            )
        )
    )
    if not removed:
        raise NotSubscribed()
    return FollowResult(subscriber, kind, value, created=False)


def scopes_of(session: Session, chat_id: int) -> list[Scope]:
    subscriber = get_subscriber(session, chat_id)
    if subscriber is None:
        return []
    return list(
        session.scalars(
            select(Scope)
            .where(Scope.subscriber_id == subscriber.id)
            .order_by(Scope.kind, Scope.value)
        )
    )


def set_language(session: Session, chat_id: int, language: str) -> Subscriber:
    subscriber = ensure_subscriber(session, chat_id)
    subscriber.language = normalise_language(language)
    return subscriber


def set_mode(session: Session, chat_id: int, mode: str) -> Subscriber:
    if mode not in SUBSCRIBER_MODES:
        raise InvalidValue(field="mode", limit=0, allowed=SUBSCRIBER_MODES)
    subscriber = ensure_subscriber(session, chat_id)
    subscriber.mode = mode
    return subscriber


def set_timezone(session: Session, chat_id: int, zone: str) -> Subscriber:
    """Deadlines are shown, and the digest sent, in the subscriber's own time zone."""
    try:
        name = str(ZoneInfo(zone.strip()))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTimezone(value=zone.strip()[:40]) from None
    subscriber = ensure_subscriber(session, chat_id)
    subscriber.timezone = name
    return subscriber


def set_digest_hour(session: Session, chat_id: int, hour: int) -> Subscriber:
    if not 0 <= hour <= 23:
        raise InvalidValue(field="hour", limit=0, allowed=("0", "…", "23"))
    subscriber = ensure_subscriber(session, chat_id)
    subscriber.digest_hour = hour
    return subscriber


# What may sign a supporter's letters: the name (a letter to a Kazakh state body that names
# nobody may be left unconsidered as anonymous), optionally a town and an e-mail.
SIGNER_FIELDS = ("name", "town", "email")
SIGNER_LIMITS = {"name": 120, "town": 100, "email": 254}
_SIGNER_COLUMNS = {"name": "signature", "town": "sender_town", "email": "sender_email"}


def _signer_value(field: str, value: str) -> str:
    # One line: whitespace runs become one space; control characters have no place in a
    # letter's signature or an e-mail header.
    cleaned = " ".join(value.split())
    limit = SIGNER_LIMITS[field]
    if not cleaned or len(cleaned) > limit or any(ord(ch) < 32 for ch in cleaned):
        raise InvalidSigner(field=field, limit=limit)
    if field == "name" and not any(ch.isalpha() for ch in cleaned):
        raise InvalidSigner(field=field, limit=limit)
    if field == "email":
        # Imported here: subscriptions is loaded by every command, the validator by few.
        from bot.domain.cases import checked_email

        try:
            return checked_email(cleaned)
        except InvalidValue:
            raise InvalidSigner(field=field, limit=limit) from None
    return cleaned


def set_signer(session: Session, chat_id: int, field: str, value: str) -> Subscriber:
    """Set who signs this supporter's letters: `field` is name, town or email; "-" clears it."""
    if field not in SIGNER_FIELDS:
        raise InvalidValue(field="signer", limit=0, allowed=SIGNER_FIELDS)
    subscriber = ensure_subscriber(session, chat_id)
    checked = None if value.strip() == "-" else _signer_value(field, value)
    setattr(subscriber, _SIGNER_COLUMNS[field], checked)
    return subscriber


def clear_signer(session: Session, chat_id: int) -> Subscriber:
    """Forget the name, town and e-mail: letters leave a line to sign by hand again."""
    subscriber = ensure_subscriber(session, chat_id)
    subscriber.signature = subscriber.sender_town = subscriber.sender_email = None
    return subscriber


def erase(session: Session, chat_id: int) -> bool:
    """/stop: forget the chat; actions survive as rows with no subscriber (anonymous counts)."""
    subscriber = get_subscriber(session, chat_id)
    if subscriber is None:
        return False
    session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber.id))
    session.execute(delete(Scope).where(Scope.subscriber_id == subscriber.id))
    # Staff commands this person tried were audited under their id: keep the refusals,
    # forget who tried. Staff's own (allowed) audit events stay accountable.
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.actor_id == chat_id, AuditEvent.allowed.is_(False))
        .values(actor_id=None)
    )
    session.delete(subscriber)
    session.flush()
    return True
