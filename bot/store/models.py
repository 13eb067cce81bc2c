"""The tables (cases with their people, events, targets and model letters; subscribers, their
scopes and actions; alerts and their deliveries; staff, the audit log, the source watch),
with the integrity rules the database itself enforces."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.store.types import RestrictedText, UTCDateTime
from bot.store.urgency import urgency

OLDER_ROWS_URGENCY = urgency("new", None)  # a new alert with no deadline

CASE_STATUSES = ("draft", "active", "closed")
OUTCOMES = ("released", "charges_dropped", "sentenced", "died_in_custody", "no_further_action")
PERSON_STATUSES = (
    "detained",
    "under_surveillance",
    "missing",
    "at_risk",
    "prosecuted",
    "released",
    "deceased",
)
TARGET_ROLES = ("primary", "copy")
SCOPE_KINDS = ("all", "case", "country", "theme")
SUBSCRIBER_MODES = ("immediate", "digest")
SUBSCRIBER_STATUSES = ("active", "stopped", "blocked", "gone")
# deadline_passed and stale are the scheduler's private notices to a case's coordinators.
ALERT_KINDS = (
    "new",
    "further_information",
    "deadline_reminder",
    "closed",
    "digest",
    "deadline_passed",
    "stale",
    # Source watch (bot/watch): a new item from a watched source, a source failing for a day.
    "news",
    "source_failing",
    # Retention (bot/domain/retention.py): a week before a closed case's restricted fields go.
    "retention_notice",
    # Telegram asked for a long pause, and it ended (bot/delivery/pauses.py).
    "delivery_paused",
    "delivery_resumed",
)
# held: a digest subscriber's copy waiting for their digest; bundled: gone out in one.
DELIVERY_STATUSES = ("pending", "sent", "failed", "held", "bundled")
STAFF_ROLES = ("admin", "coordinator")
ACTION_HOWS = ("email", "letter", "fax", "social", "web_form", "call", "other")
# What a case's content is made of, per language (bot/domain/translations.py): the entity a
# translated text belongs to.
TRANSLATED_ENTITIES = ("case", "person", "event", "link")
WATCH_KINDS = ("feed", "page")
WATCH_STATUSES = ("active", "muted")
# seen: stored without a notice (a first check's backlog, no keyword matched); announced: sent
# to the coordinators; dismissed ("Not relevant") and drafted (a further information begun).
WATCH_ITEM_STATUSES = ("seen", "announced", "dismissed", "drafted")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="outcome"),
        CheckConstraint("status != 'closed' OR outcome IS NOT NULL", name="closed_has_outcome"),
        # /cases lists active cases by deadline, a page at a time
        Index("ix_cases_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    summary: Mapped[str] = mapped_column(Text, default="")
    background: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    deadline: Mapped[datetime | None]
    deadline_version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    outcome: Mapped[str | None] = mapped_column(String(32))
    # internal: staff only
    internal_index: Mapped[str | None] = mapped_column(String(64))
    internal_notes: Mapped[str | None] = mapped_column(Text)
    demo: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    last_update_at: Mapped[datetime | None]
    fi_count: Mapped[int] = mapped_column(Integer, default=0)
    # Another organisation's urgent action this case relays (optional, public).
    source_ref: Mapped[str | None] = mapped_column(String(64))
    source_url: Mapped[str | None] = mapped_column(String(500))
    # A further information that renews the call to act opens round 2, 3…: supporters may
    # report acting again, and reminders go to who has not acted in this round.
    round: Mapped[int] = mapped_column(Integer, server_default="1")
    round_started_at: Mapped[datetime | None]
    # The language the coordinator wrote the case in: the text columns hold it, and
    # case_translations the other languages (bot/domain/translations.py).
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    # What the letters ask for, one ask per line (a target's own list is on case_targets).
    asks: Mapped[str] = mapped_column(Text, server_default="")

    people: Mapped[list[Person]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Person.position"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id"
    )
    case_targets: Mapped[list[CaseTarget]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseTarget.position"
    )
    letters: Mapped[list[ModelLetter]] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )
    translations: Mapped[list[CaseTranslation]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Case(id={self.id!r}, ref={self.ref!r}, status={self.status!r})"


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("case_id", "position", name="uq_people_case_position"),
        CheckConstraint(_in("status", PERSON_STATUSES), name="status"),
        CheckConstraint("group_size IS NULL OR group_size > 0", name="group_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    pronoun: Mapped[str | None] = mapped_column(String(16))
    age: Mapped[int | None] = mapped_column(Integer)
    occupation: Mapped[str | None] = mapped_column(String(200))
    group_size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), default="at_risk")
    # restricted: encrypted at rest, never loaded unless asked for (deferred), staff only
    whereabouts: Mapped[str | None] = mapped_column(RestrictedText, deferred=True)
    family_contacts: Mapped[str | None] = mapped_column(RestrictedText, deferred=True)
    sources: Mapped[str | None] = mapped_column(RestrictedText, deferred=True)
    health: Mapped[str | None] = mapped_column(RestrictedText, deferred=True)
    notes: Mapped[str | None] = mapped_column(RestrictedText, deferred=True)

    case: Mapped[Case] = relationship(back_populates="people")

    RESTRICTED = ("whereabouts", "family_contacts", "sources", "health", "notes")
    PUBLIC = ("name", "pronoun", "age", "occupation", "group_size", "status")

    def __repr__(self) -> str:
        return f"Person(id={self.id!r}, case_id={self.case_id!r}, position={self.position!r})"


class CaseEvent(Base):
    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    public_text: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"CaseEvent(id={self.id!r}, case_id={self.case_id!r}, kind={self.kind!r})"


class Target(Base):
    __tablename__ = "targets"
    # a unique index, not a constraint: SQLite adds it without rebuilding the table
    __table_args__ = (Index("ix_targets_key", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str] = mapped_column(String(2))
    address: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(254))
    salutation: Mapped[str] = mapped_column(String(200), default="")
    # the language the official prefers letters in
    language: Mapped[str] = mapped_column(String(8), default="en")
    # the language the text columns are written in; target_translations hold the others
    text_language: Mapped[str] = mapped_column(String(8), server_default="en")
    # a stable key (e.g. "kz-prosecutor-general"): a case document reuses the target by it
    key: Mapped[str | None] = mapped_column(String(64))
    # "he", "she" or None: the default salutation's agreement (Уважаемый / Уважаемая)
    pronoun: Mapped[str | None] = mapped_column(String(16))
    handle: Mapped[str | None] = mapped_column(String(100))  # a social-media handle
    web_form: Mapped[str | None] = mapped_column(String(500))

    translations: Mapped[list[TargetTranslation]] = relationship(
        back_populates="target", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Target(id={self.id!r}, title={self.title!r})"


class CaseTarget(Base):
    __tablename__ = "case_targets"
    __table_args__ = (CheckConstraint(_in("role", TARGET_ROLES), name="role"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[int] = mapped_column(
        ForeignKey("targets.id", ondelete="RESTRICT"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(8), default="primary")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # what this case asks of this official, one per line; empty: the case's asks
    asks: Mapped[str] = mapped_column(Text, server_default="")

    case: Mapped[Case] = relationship(back_populates="case_targets")
    target: Mapped[Target] = relationship()

    def __repr__(self) -> str:
        return f"CaseTarget(case_id={self.case_id!r}, target_id={self.target_id!r})"


class _TranslatedText:
    """One field's text in one language, with who wrote it and when."""

    field: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    translated_by: Mapped[int | None] = mapped_column(BigInteger)
    translated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseTranslation(_TranslatedText, Base):
    """A case's text in a language other than its original: one field of the case, of one of
    its people ("person", the person's id), of an event ("event": a further information, a
    status change, the closing text) or of a target on this case ("link", the target's id:
    the asks of that official). Who wrote it, and when."""

    __tablename__ = "case_translations"
    __table_args__ = (
        UniqueConstraint(
            "case_id",
            "entity",
            "entity_id",
            "field",
            "language",
            name="uq_case_translations_text",
        ),
        CheckConstraint(_in("entity", TRANSLATED_ENTITIES), name="entity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(8))
    entity_id: Mapped[int] = mapped_column(Integer)

    case: Mapped[Case] = relationship(back_populates="translations")

    def __repr__(self) -> str:
        return (
            f"CaseTranslation(case_id={self.case_id!r}, {self.entity}:{self.entity_id}"
            f".{self.field}, {self.language!r})"
        )


class TargetTranslation(_TranslatedText, Base):
    """A target's field in another language. Targets are shared by cases: so is this."""

    __tablename__ = "target_translations"
    __table_args__ = (
        UniqueConstraint("target_id", "field", "language", name="uq_target_translations_text"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))

    target: Mapped[Target] = relationship(back_populates="translations")

    def __repr__(self) -> str:
        return f"TargetTranslation(target_id={self.target_id!r}.{self.field}, {self.language!r})"


class ModelLetter(Base):
    __tablename__ = "model_letters"
    __table_args__ = (UniqueConstraint("case_id", "language", name="uq_model_letters_case_lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship(back_populates="letters")

    def __repr__(self) -> str:
        return f"ModelLetter(case_id={self.case_id!r}, language={self.language!r})"


class Subscriber(Base):
    __tablename__ = "subscribers"
    __table_args__ = (
        CheckConstraint(_in("mode", SUBSCRIBER_MODES), name="mode"),
        CheckConstraint(_in("status", SUBSCRIBER_STATUSES), name="status"),
        CheckConstraint("digest_hour >= 0 AND digest_hour < 24", name="digest_hour"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    mode: Mapped[str] = mapped_column(String(16), default="immediate")
    status: Mapped[str] = mapped_column(String(16), default="active")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_hour: Mapped[int] = mapped_column(Integer, default=9)
    # the sender block of their letters: a name, and optionally a town and an e-mail
    signature: Mapped[str | None] = mapped_column(String(200))
    sender_town: Mapped[str | None] = mapped_column(String(100))
    sender_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    scopes: Mapped[list[Scope]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Subscriber(id={self.id!r}, status={self.status!r})"


class Scope(Base):
    """One thing a subscriber follows: all cases, one case, a country or a theme."""

    __tablename__ = "scopes"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "kind", "value", name="uq_scopes_subscriber_kind_value"),
        CheckConstraint(_in("kind", SCOPE_KINDS), name="kind"),
        Index("ix_scopes_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(64), default="*")

    subscriber: Mapped[Subscriber] = relationship(back_populates="scopes")

    def __repr__(self) -> str:
        return f"Scope(subscriber_id={self.subscriber_id!r}, {self.kind}={self.value!r})"


class Action(Base):
    """'I took action'. After erasure the row stays with no subscriber: an anonymous count."""

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint(
            "case_id", "subscriber_id", "round", name="uq_actions_case_subscriber_round"
        ),
        CheckConstraint(_in("how", ACTION_HOWS), name="how"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL")
    )
    how: Mapped[str] = mapped_column(String(16), default="other")
    round: Mapped[int] = mapped_column(Integer, server_default="1")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"Action(case_id={self.case_id!r}, subscriber_id={self.subscriber_id!r})"


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (CheckConstraint(_in("kind", ALERT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    # texts per language, rendered at publish time: {"en": "...", "ru": "..."}
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # makes scheduled alerts idempotent, e.g. "reminder:KZ-2026-001:v2:6h"
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"Alert(id={self.id!r}, case_id={self.case_id!r}, kind={self.kind!r})"


class Delivery(Base):
    """The outbox: one row per (alert, subscriber), written before any request is made."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "subscriber_id", name="uq_deliveries_alert_subscriber"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        # The sender's claim query walks this in order: the most urgent first
        # (bot/domain/urgency.py), id breaking ties within one fan-out.
        Index("ix_deliveries_due", "status", "urgency", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # Its class, then its case's deadline, in one number: smaller goes first. Every fan-out
    # sets it; the database's default (a new alert with no deadline) is for rows older
    # than the column.
    urgency: Mapped[int] = mapped_column(BigInteger, server_default=text(str(OLDER_ROWS_URGENCY)))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(200))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None]
    # Set while a sender holds the row (claimed, outcome not yet committed). The sender that
    # takes over from a crashed one clears it: those rows are the only ones sent twice.
    claimed_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"Delivery(id={self.id!r}, alert_id={self.alert_id!r}, status={self.status!r})"


class DeliveryPause(Base):
    """A pause Telegram asked a bot for (a 429's retry_after of a minute or more): kept so
    that a restarted sender waits it out too, and so that coordinators are told once."""

    __tablename__ = "delivery_pauses"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    paused_until: Mapped[datetime]
    retry_after: Mapped[int] = mapped_column(Integer)
    announced: Mapped[bool] = mapped_column(default=False, server_default=false())

    def __repr__(self) -> str:
        return f"DeliveryPause(bot_id={self.bot_id!r}, paused_until={self.paused_until!r})"


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="role"),)

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The seized-phone safeguards (bot/domain/safeguards.py): an optional reveal PIN, as an
    # Argon2id hash; wrong answers in a row; reveals locked (after three) until an admin
    # unlocks; the role suspended by the member's own /panic until an admin grants it again.
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    pin_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    reveals_locked_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"Staff(user_id={self.user_id!r}, role={self.role!r})"


class ExpiringMessage(Base):
    """A message the bot sent with restricted data, to be deleted from the chat at
    `delete_at` (Telegram allows it within 48 hours). A row, so a restart forgets none."""

    __tablename__ = "expiring_messages"
    __table_args__ = (Index("ix_expiring_messages_due", "done_at", "delete_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)  # who asked for it
    delete_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"ExpiringMessage(id={self.id!r}, delete_at={self.delete_at!r})"


class Lockdown(Base):
    """An admin's /lockdown: while a row has no `lifted_at`, reveals, exports, role changes
    and confirmations stop for everyone."""

    __tablename__ = "lockdowns"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    started_by: Mapped[int | None] = mapped_column(BigInteger)
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[int | None] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"Lockdown(id={self.id!r}, lifted_at={self.lifted_at!r})"


class AuditEvent(Base):
    """Append-only. Restricted values never appear here: they are written as 'changed'."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    case_ref: Mapped[str | None] = mapped_column(String(32), index=True)
    entity: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    allowed: Mapped[bool] = mapped_column(default=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"AuditEvent(id={self.id!r}, action={self.action!r}, case_ref={self.case_ref!r})"


class WatchSource(Base):
    """A feed or web page a case depends on, polled by bot/watch; its health lives here too."""

    __tablename__ = "watch_sources"
    __table_args__ = (
        UniqueConstraint("case_id", "url", name="uq_watch_sources_case_url"),
        CheckConstraint(f"kind IS NULL OR {_in('kind', WATCH_KINDS)}", name="kind"),
        CheckConstraint(_in("status", WATCH_STATUSES), name="status"),
        CheckConstraint("interval_seconds >= 60", name="interval"),
        # The poller's claim walks this: active sources whose next check is due.
        Index("ix_watch_sources_due", "status", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    # None until the first successful check tells a feed from a page
    kind: Mapped[str | None] = mapped_column(String(8))
    keywords: Mapped[list[str]] = mapped_column(default=list)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    status: Mapped[str] = mapped_column(String(8), default="active")
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # conditional requests, and the body's hash for servers that send neither validator
    etag: Mapped[str | None] = mapped_column(String(256))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # a page's main text as last seen: what a change added is told from it
    page_text: Mapped[str | None] = mapped_column(Text)
    next_check_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_check_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_new_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    failing_since: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # the coordinators were told this failing streak has lasted a day: once per streak
    failure_flagged: Mapped[bool] = mapped_column(default=False)

    case: Mapped[Case] = relationship()
    items: Mapped[list[WatchItem]] = relationship(
        back_populates="source", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"WatchSource(id={self.id!r}, case_id={self.case_id!r}, status={self.status!r})"


class WatchItem(Base):
    """An item a source has shown, kept so that it is announced once: identified by a hash of
    its guid or link (never its date), or for a page by the hash of its main text."""

    __tablename__ = "watch_items"
    __table_args__ = (
        UniqueConstraint("source_id", "key", name="uq_watch_items_source_key"),
        CheckConstraint(_in("status", WATCH_ITEM_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("watch_sources.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300), default="")
    link: Mapped[str | None] = mapped_column(String(2000))
    excerpt: Mapped[str | None] = mapped_column(String(600))
    matched: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="seen")
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)
    reviewed_at: Mapped[datetime | None]

    source: Mapped[WatchSource] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"WatchItem(id={self.id!r}, source_id={self.source_id!r}, status={self.status!r})"
