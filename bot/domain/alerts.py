"""Alerts and the fan-out: one alert row, then one delivery row per matching subscriber,
written by one set-based INSERT … SELECT in the caller's transaction. Nothing is sent here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, false, func, insert, literal, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.staff import Actor
from bot.domain.translations import Texts, missing, pick_text
from bot.domain.views import PublicCase, public_case
from bot.languages import LANGUAGES
from bot.store.db import rowcount
from bot.store.models import Action, Alert, Case, Delivery, Scope, Subscriber
from bot.store.urgency import urgency
from bot.texts import render

# The sender LISTENs on this channel (bot/delivery/lock.py).
OUTBOX_CHANNEL = "uabot_outbox"


def render_texts(
    case: Case, kind: str, zones: Iterable[str] = (), /, **context: object
) -> dict[str, str]:
    """The alert per language; and per reader's time zone ("en@Europe/Berlin") where the
    text differs, so that each subscriber reads the deadline in their time too."""
    texts = {}
    for lang in LANGUAGES:
        view, local_context = localised(case, lang, context, kind)
        name = f"alerts/{kind}.html"
        base = texts[lang] = render(name, lang, case=view, tz=None, **local_context)
        for zone in zones:
            local = render(name, lang, case=view, tz=zone, **local_context)
            if local != base:
                texts[zoned(lang, zone)] = local
    return texts


# Alerts that show of the case only its title (beside their own text): whether a reader
# is told "not all of this is in your language" depends on the title and the text alone,
# not on a background or a target's address the alert never shows.
TITLE_ONLY = frozenset({"further_information", "closed", "deadline_reminder"})


def localised(
    case: Case, lang: str, context: Mapping[str, object], kind: str | None = None
) -> tuple[PublicCase, dict[str, object]]:
    """The case as a reader of `lang` reads it, and the alert's own text (a further
    information or closing text given per language, as a dict) in the nearest language:
    the view's `fallback` names the language anything missing was shown in."""
    view = public_case(case, lang)
    if kind in TITLE_ONLY:
        shown = Texts(case, lang)
        shown.case(case, "title")
        view = replace(view, fallback=shown.fallback)
    local = dict(context)
    text = context.get("text")
    if isinstance(text, Mapping):
        picked, used = pick_text(dict(text), lang, case.language or "en")
        local["text"] = picked
        if used != lang:  # the alert's own text is what the reader reads first
            view = replace(view, fallback=used)
    return view, local


def zoned(lang: str, zone: str) -> str:
    """The key of a text rendered for readers in that time zone."""
    return f"{lang}@{zone}"


def reader_zones(
    session: Session, case: Case, *, exclude_acted: bool = False, include_acted: bool = False
) -> list[str]:
    """The recipients' time zones other than the case's (none when there is no deadline)."""
    if case.deadline is None:
        return []
    return list(
        session.scalars(
            select(Subscriber.timezone)
            .distinct()
            .where(
                recipients(case, exclude_acted=exclude_acted, include_acted=include_acted),
                Subscriber.timezone != case.timezone,
            )
            .order_by(Subscriber.timezone)
        )
    )


def preview(
    case: Case,
    kind: str,
    lang: str,
    text: str | Mapping[str, str] | None = None,
    *,
    renewed: bool = False,
    **changes: Any,
) -> str:
    """The alert exactly as publishing it would render it, before anything is written."""
    view, context = localised(case, lang, {"text": text}, kind)
    if kind == "further_information":
        changes.setdefault("fi_count", view.fi_count + 1)
    return render(
        f"alerts/{kind}.html",
        lang,
        case=replace(view, **changes),
        tz=None,
        renewed=renewed,
        **context,
    )


def readers_by_language(
    session: Session, case: Case, *, include_acted: bool = False
) -> dict[str, int]:
    """How many subscribers an alert on `case` reaches, per their language (one GROUP BY)."""
    rows = session.execute(
        select(Subscriber.language, func.count())
        .where(recipients(case, include_acted=include_acted))
        .group_by(Subscriber.language)
    )
    return {language: count for language, count in rows}


@dataclass(frozen=True)
class Readership:
    """One language's readers of an alert about to be sent, and what they will lack."""

    language: str
    readers: int
    missing: int  # texts of the case not yet in this language
    text_given: bool | None  # the alert's own text in this language (None: it has none)
    fallback: str | None  # the language the missing parts reach them in

    @property
    def complete(self) -> bool:
        return not self.missing and self.text_given is not False


def readership(
    session: Session, case: Case, kind: str, text: str | Mapping[str, str] | None = None
) -> list[Readership]:
    """Per language uabot speaks: who would read this alert, and whether its text is complete
    there. Publishing with gaps is allowed (urgency wins); the coordinator sees who gets a
    fallback before confirming."""
    counts = readers_by_language(session, case, include_acted=kind == "closed")
    texts = {case.language or "en": text} if isinstance(text, str) else dict(text or {})
    out = []
    for lang in LANGUAGES:
        view, _ = localised(case, lang, {"text": texts or None}, kind)
        out.append(
            Readership(
                language=lang,
                readers=counts.get(lang, 0),
                missing=len(missing(case, lang)),
                text_given=bool(texts.get(lang)) if texts else None,
                fallback=view.fallback,
            )
        )
    return out


def follows(case: Case) -> ColumnElement[bool]:
    """True for a subscriber whose scopes match this case."""
    themes = list(case.themes or [])
    return exists().where(
        Scope.subscriber_id == Subscriber.id,
        or_(
            Scope.kind == "all",
            and_(Scope.kind == "case", Scope.value == case.ref),
            and_(Scope.kind == "country", Scope.value == case.country),
            and_(Scope.kind == "theme", Scope.value.in_(themes)) if themes else false(),
        ),
    )


def recipients(
    case: Case, *, exclude_acted: bool = False, include_acted: bool = False
) -> ColumnElement[bool]:
    """Active subscribers who follow the case; `include_acted` adds everyone who acted on it
    (the closing notice: who wrote must hear that the action ended, follower or not)."""
    acted = exists().where(Action.case_id == case.id, Action.subscriber_id == Subscriber.id)
    reached = or_(follows(case), acted) if include_acted else follows(case)
    condition = and_(Subscriber.status == "active", reached)
    if exclude_acted:  # reminders: who has not acted in the current round of the call
        condition = and_(condition, ~acted.where(Action.round == case.round))
    return condition


def fan_out(
    session: Session,
    alert: Alert,
    case: Case,
    now: datetime,
    *,
    exclude_acted: bool = False,
    include_acted: bool = False,
) -> int:
    """Queue the alert for every matching subscriber; digest subscribers' copies are held."""
    status = sql_case((Subscriber.mode == "digest", literal("held")), else_=literal("pending"))
    rows = select(
        literal(alert.id),
        Subscriber.id,
        status,
        literal(0),
        literal(now, type_=Delivery.next_attempt_at.type),
        literal(urgency(alert.kind, case.deadline), type_=Delivery.urgency.type),
    ).where(recipients(case, exclude_acted=exclude_acted, include_acted=include_acted))
    columns = ["alert_id", "subscriber_id", "status", "attempts", "next_attempt_at", "urgency"]
    result = session.execute(
        insert(Delivery).from_select(columns, rows),
        # SQLAlchemy keeps an INSERT's rowcount only when asked: psycopg would report -1.
        execution_options={"preserve_rowcount": True},
    )
    count = rowcount(result)
    if count and session.get_bind().dialect.name == "postgresql":
        # Wakes the sender at once; PostgreSQL delivers it only if this transaction commits.
        session.execute(select(func.pg_notify(OUTBOX_CHANNEL, "")))
    return count


def publish_alert(
    session: Session,
    case: Case,
    kind: str,
    *,
    actor: Actor | None,
    now: datetime,
    text: str | Mapping[str, str] | None = None,
    dedupe_key: str | None = None,
    exclude_acted: bool = False,
    include_acted: bool = False,
    renewed: bool = False,
) -> Alert:
    zones = reader_zones(session, case, exclude_acted=exclude_acted, include_acted=include_acted)
    alert = Alert(
        case_id=case.id,
        kind=kind,
        texts=render_texts(case, kind, zones, text=text, renewed=renewed),
        dedupe_key=dedupe_key,
        created_by=actor.user_id if actor else None,
        created_at=now,
    )
    session.add(alert)
    session.flush()
    alert.recipients = fan_out(
        session, alert, case, now, exclude_acted=exclude_acted, include_acted=include_acted
    )
    return alert


def queue_to(session: Session, alert: Alert, subscriber_ids: Iterable[int], now: datetime) -> int:
    """A pending delivery of `alert` (already flushed) to each subscriber: the private notices
    to staff (watch news, long delivery pauses), which follow no case's subscriptions."""
    rows = [
        Delivery(
            alert_id=alert.id,
            subscriber_id=subscriber_id,
            status="pending",
            next_attempt_at=now,
            urgency=urgency(alert.kind, None),
        )
        for subscriber_id in subscriber_ids
    ]
    session.add_all(rows)
    alert.recipients = len(rows)
    session.flush()
    if rows and session.get_bind().dialect.name == "postgresql":
        # Wakes the sender at once; delivered by PostgreSQL only if this transaction commits.
        session.execute(select(func.pg_notify(OUTBOX_CHANNEL, "")))
    return len(rows)
