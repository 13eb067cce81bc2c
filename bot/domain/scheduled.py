"""The scheduler's jobs against the database, each in the caller's transaction.

A job first claims its key: it inserts its alert carrying the job's dedupe key, and the
unique rule lets exactly one insert through. Another process, a restart or a retry gets an
IntegrityError (on PostgreSQL it waits for the first claimant to commit or roll back), and
its caller rolls back. Only after the claim is the case read again (locked on PostgreSQL,
and SQLite holds its one write lock from the insert on), so a close or a deadline move
committed a moment earlier is seen: a job no longer due returns None and the caller rolls
the claim back, leaving the key free.

Digests come many at once (every subscriber with the same hour), so a batch of them takes a
few statements, not a few each (`send_digests`). Their held copies are locked first, then
the keys claimed by one INSERT that skips those already taken, under the same unique rule:
a digest lists exactly the copies it bundles, and a process that finds them bundled by
another meanwhile finds the key taken.

Everything goes to the outbox: reminders through the ordinary fan-out (digest subscribers'
copies are held), notices and digests as pending deliveries the sender drains.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import schedule
from bot.domain import alerts
from bot.domain.cases import get_case
from bot.domain.translations import chain
from bot.domain.views import public_case
from bot.languages import LANGUAGES
from bot.schedule import CaseClock, DigestClock, Job, Plan, Policy
from bot.store.db import is_postgresql
from bot.store.models import (
    Alert,
    Case,
    CaseEvent,
    CaseTranslation,
    Delivery,
    Staff,
    Subscriber,
)
from bot.store.urgency import urgency
from bot.texts import render

# Telegram takes 4096 characters; a digest lists at most this many alerts, then a count.
MAX_DIGEST_ITEMS = 12
KEY_CHUNK = 500  # keys per IN (...) lookup


@dataclass(frozen=True)
class DigestItem:
    kind: str
    ref: str | None
    title: str | None
    # the title's translations, (language, text), and the language `title` is written in
    titles: tuple[tuple[str, str], ...] = ()
    language: str = "en"

    def title_in(self, lang: str) -> str | None:
        translated = dict(self.titles)
        for code in chain(lang, self.language):
            text = self.title if code == self.language else translated.get(code)
            if text:
                return text
        return self.title


@dataclass(frozen=True)
class Listed:
    """One line of `uabot schedule list`."""

    at: datetime
    kind: str
    ref: str | None
    offset: str | None
    recipients: int
    audience: str  # "subscribers" or "coordinators"
    due: bool


# -- what the schedule is computed from ------------------------------------------------------


def load_case_clocks(session: Session) -> list[CaseClock]:
    rows = session.execute(
        select(
            Case.id,
            Case.ref,
            Case.deadline,
            Case.deadline_version,
            Case.published_at,
            Case.last_update_at,
        ).where(Case.status == "active")
    )
    return [CaseClock(*row) for row in rows]


def load_digest_clocks(session: Session) -> list[DigestClock]:
    """Active subscribers with held copies, whatever their mode now (none is stranded)."""
    rows = session.execute(
        select(
            Subscriber.id, Subscriber.timezone, Subscriber.digest_hour, func.min(Alert.created_at)
        )
        .join(Delivery, Delivery.subscriber_id == Subscriber.id)
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(Delivery.status == "held", Subscriber.status == "active")
        .group_by(Subscriber.id, Subscriber.timezone, Subscriber.digest_hour)
    )
    return [DigestClock(*row) for row in rows]


def done_keys(session: Session, keys: Sequence[str]) -> set[str]:
    done: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        done.update(session.scalars(select(Alert.dedupe_key).where(Alert.dedupe_key.in_(chunk))))
    return done


def load_plan(session: Session, now: datetime, policy: Policy) -> Plan:
    cases = load_case_clocks(session)
    digests = load_digest_clocks(session)
    keys = schedule.candidate_keys(cases, digests, now, policy)
    return schedule.plan(cases, digests, now, policy, done_keys(session, keys))


# -- running one job -------------------------------------------------------------------------


def run_job(session: Session, job: Job, now: datetime, policy: Policy) -> int | None:
    """Queue a case job's messages; how many were queued, or None if it is no longer due.

    Digests go through `send_digests`, many at once.
    """
    if job.kind == schedule.REMINDER:
        return send_reminder(session, job, now, policy)
    if job.kind in (schedule.DEADLINE_PASSED, schedule.STALE):
        return notify_coordinators(session, job, now, policy)
    raise ValueError(f"not a case job: {job.kind!r}")


def _claim(session: Session, job: Job, kind: str, now: datetime, case_id: int | None) -> Alert:
    alert = Alert(case_id=case_id, kind=kind, texts={}, dedupe_key=job.key, created_at=now)
    session.add(alert)
    session.flush()  # IntegrityError here: the key is someone else's
    return alert


def _locked_case(session: Session, job: Job, now: datetime, policy: Policy) -> Case | None:
    """The job's case, locked, if the job is still due for it as it is now."""
    case = get_case(session, job.ref or "", for_update=True)
    if case.status != "active" or not schedule.is_due(job, CaseClock.of(case), now, policy):
        return None
    return case


def send_reminder(session: Session, job: Job, now: datetime, policy: Policy) -> int | None:
    """To the case's followers who have not acted: the fan-out's exclude_acted rule."""
    alert = _claim(session, job, "deadline_reminder", now, job.case_id)
    case = _locked_case(session, job, now, policy)
    if case is None or case.deadline is None:
        return None
    zones = alerts.reader_zones(session, case, exclude_acted=True)
    left = case.deadline - now
    alert.texts = alerts.render_texts(case, "deadline_reminder", zones, left=left)
    alert.recipients = alerts.fan_out(session, alert, case, now, exclude_acted=True)
    return alert.recipients


def notify_coordinators(session: Session, job: Job, now: datetime, policy: Policy) -> int | None:
    """A private notice to the case's coordinators.

    The alert carries no case_id: it is staff business, and per-case tallies (/stats) count
    only what subscribers were sent. The case is in the dedupe key.
    """
    alert = _claim(session, job, job.kind, now, None)
    case = _locked_case(session, job, now, policy)
    if case is None:
        return None
    days = policy.stale_after.days
    since = case.last_update_at or case.published_at
    alert.texts = {
        lang: render(
            f"alerts/{job.kind}.html", lang, case=public_case(case, lang), days=days, since=since
        )
        for lang in LANGUAGES
    }
    staff_ids = staff_subscribers(session, case.id)
    pairs = [(alert.id, staff_id) for staff_id in staff_ids]
    alert.recipients = _queue(session, pairs, now, kind=job.kind)
    return alert.recipients


def coordinators(session: Session, case_id: int) -> list[int]:
    """Staff who worked on the case (its events name them); with none, all of the staff."""
    actors = select(CaseEvent.actor_id).where(
        CaseEvent.case_id == case_id, CaseEvent.actor_id.isnot(None)
    )
    ids = list(session.scalars(select(Staff.user_id).where(Staff.user_id.in_(actors))))
    return ids or list(session.scalars(select(Staff.user_id)))


def staff_subscribers(session: Session, case_id: int) -> list[int]:
    """Subscriber rows for the case's coordinators' private chats (a chat id is the user id).

    A coordinator with no row gets one, with no scopes: it receives nothing else. One who
    stopped or blocked the bot is not written to.
    """
    return subscribers_of(session, coordinators(session, case_id))


def subscribers_of(session: Session, user_ids: list[int]) -> list[int]:
    """The active subscriber rows of these users' private chats, made where missing."""
    if not user_ids:
        return []
    known = dict(
        session.execute(
            select(Subscriber.chat_id, Subscriber.id).where(Subscriber.chat_id.in_(user_ids))
        ).all()
    )
    for user_id in sorted(set(user_ids) - known.keys()):
        subscriber = Subscriber(chat_id=user_id)
        session.add(subscriber)
        session.flush()
        known[user_id] = subscriber.id
    return list(
        session.scalars(
            select(Subscriber.id).where(
                Subscriber.id.in_(known.values()), Subscriber.status == "active"
            )
        )
    )


def send_digests(session: Session, jobs: Sequence[Job], now: datetime) -> dict[str, int | None]:
    """Each job's subscriber gets one message bundling their held copies, which become
    'bundled': a few statements whatever the number of jobs (a batch of a few hundred).

    The copies are locked first, so the digest lists exactly the copies it bundles; then the
    keys are claimed, as for any job. Returns, per job, the messages queued, or None if it is
    no longer due (the subscriber left, nothing is held: its key stays free); a job whose key
    was already taken is left out. On PostgreSQL a process holding the same copies or keys
    uncommitted is waited for, as a plain INSERT would wait.
    """
    wanted = {job.key: job.subscriber_id for job in jobs if job.subscriber_id is not None}
    held = _lock_held(session, set(wanted.values()), now)
    titles = _titles(session, {row.case_id for rows in held.values() for row in rows})
    rendered: dict[tuple[DigestItem, ...], dict[str, str]] = {}
    texts: dict[str, dict[str, str]] = {}
    for key, subscriber_id in wanted.items():
        items = tuple(
            DigestItem(row.kind, row.ref, row.title, titles.get(row.case_id, ()), row.language)
            for row in held[subscriber_id]
        )
        if not items:
            continue
        if items not in rendered:
            # Subscribers who follow the same things hold the same copies: rendered once.
            rendered[items] = {lang: digest_text(items, lang) for lang in LANGUAGES}
        texts[key] = rendered[items]
    claimed = _claim_all(session, texts, "digest", now)
    copies = [row.id for key in claimed for row in held[wanted[key]]]
    for start in range(0, len(copies), KEY_CHUNK):
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(copies[start : start + KEY_CHUNK]))
            .values(status="bundled")
            .execution_options(synchronize_session=False)
        )
    _queue(session, [(alert_id, wanted[key]) for key, alert_id in claimed.items()], now)
    empty = [key for key in wanted if key not in texts]
    # Nothing held, perhaps because another process has just bundled it all under this key.
    taken = done_keys(session, empty)
    void: dict[str, int | None] = {key: None for key in empty if key not in taken}
    return void | dict.fromkeys(claimed, 1)


def _lock_held(
    session: Session, subscriber_ids: Collection[int], now: datetime
) -> defaultdict[int, list[Any]]:
    """The active subscribers' held copies of alerts up to `now`, oldest first, locked.

    Locked in id order: two processes locking overlapping sets then wait for each other in
    one direction only, never in a circle. (SQLite's writer already holds its one lock.)
    """
    held: defaultdict[int, list[Any]] = defaultdict(list)
    if not subscriber_ids:
        return held
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.subscriber_id,
            Alert.id.label("alert_id"),
            Alert.created_at,
            Alert.kind,
            Alert.case_id,
            Case.ref,
            Case.title,
            Case.language,
        )
        .join(Alert, Alert.id == Delivery.alert_id)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .outerjoin(Case, Case.id == Alert.case_id)
        .where(
            Delivery.subscriber_id.in_(subscriber_ids),
            Delivery.status == "held",
            Subscriber.status == "active",
            Alert.created_at <= now,
        )
        .order_by(Delivery.id)
        .with_for_update(of=Delivery)
    )
    for row in sorted(rows, key=lambda row: (row.created_at, row.alert_id)):
        held[row.subscriber_id].append(row)
    return held


def _titles(
    session: Session, case_ids: Collection[int | None]
) -> dict[int, tuple[tuple[str, str], ...]]:
    """The translated titles of these cases: case id → ((language, title), …)."""
    found: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
    ids = sorted(i for i in case_ids if i is not None)
    for start in range(0, len(ids), KEY_CHUNK):
        rows = session.execute(
            select(CaseTranslation.case_id, CaseTranslation.language, CaseTranslation.text)
            .where(
                CaseTranslation.case_id.in_(ids[start : start + KEY_CHUNK]),
                CaseTranslation.entity == "case",
                CaseTranslation.field == "title",
            )
            .order_by(CaseTranslation.case_id, CaseTranslation.language)
        )
        for case_id, language, text in rows:
            found[case_id].append((language, text))
    return {case_id: tuple(pairs) for case_id, pairs in found.items()}


def _claim_all(
    session: Session, texts: dict[str, dict[str, str]], kind: str, now: datetime
) -> dict[str, int]:
    """Insert an alert per key with its texts, skipping keys already taken; the alert id of
    each key claimed."""
    if not texts:
        return {}
    dialect = postgresql if is_postgresql(session) else sqlite
    rows = [
        {"kind": kind, "texts": key_texts, "dedupe_key": key, "created_at": now, "recipients": 1}
        for key, key_texts in texts.items()
    ]
    claims = session.execute(
        dialect.insert(Alert)
        .on_conflict_do_nothing(index_elements=[Alert.dedupe_key])
        .returning(Alert.dedupe_key, Alert.id),
        rows,
    )
    return {str(key): cast(int, alert_id) for key, alert_id in claims}


def digest_text(items: Sequence[DigestItem], lang: str) -> str:
    shown = [replace(item, title=item.title_in(lang)) for item in items[:MAX_DIGEST_ITEMS]]
    return render(
        "alerts/digest.html", lang, items=shown, count=len(items), more=len(items) - len(shown)
    )


def _queue(
    session: Session, pairs: Iterable[tuple[int, int]], now: datetime, kind: str = "digest"
) -> int:
    """Pending deliveries of these (alert, subscriber) pairs, whatever the mode: never held."""
    rows = [
        {
            "alert_id": alert_id,
            "subscriber_id": subscriber_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "urgency": urgency(kind, None),
        }
        for alert_id, subscriber_id in pairs
    ]
    if not rows:
        return 0
    session.execute(insert(Delivery), rows)
    if is_postgresql(session):
        # Wakes the sender at once; PostgreSQL delivers it only if this transaction commits.
        session.execute(select(func.pg_notify(alerts.OUTBOX_CHANNEL, "")))
    return len(rows)


# -- `uabot schedule list` -------------------------------------------------------------------


def listing(session: Session, now: datetime, policy: Policy) -> list[Listed]:
    """Due and upcoming jobs, soonest first, with how many people each would reach now."""
    plan = load_plan(session, now, policy)
    lines = [_listed(session, job, due=True) for job in plan.due if job.kind != schedule.DIGEST]
    lines += [
        _listed(session, job, due=False) for job in plan.upcoming if job.kind != schedule.DIGEST
    ]
    lines += _digest_lines(plan, now)
    return sorted(lines, key=lambda line: (line.at, line.ref or "", line.kind))


def _listed(session: Session, job: Job, *, due: bool) -> Listed:
    offset = schedule.offset_label(job.offset) if job.offset is not None else None
    if job.kind == schedule.REMINDER:
        case = get_case(session, job.ref or "", whole=False)
        count = session.scalar(
            select(func.count())
            .select_from(Subscriber)
            .where(alerts.recipients(case, exclude_acted=True))
        )
        return Listed(job.at, job.kind, job.ref, offset, count or 0, "subscribers", due)
    count = len(coordinators(session, job.case_id or 0))
    return Listed(job.at, job.kind, job.ref, offset, count, "coordinators", due)


def _digest_lines(plan: Plan, now: datetime) -> list[Listed]:
    """Digests grouped by the moment they go: one line per slot, counting subscribers."""
    slots: dict[datetime, int] = {}
    for job in [*plan.due, *plan.upcoming]:
        if job.kind == schedule.DIGEST:
            slots[job.at] = slots.get(job.at, 0) + 1
    return [
        Listed(at, schedule.DIGEST, None, None, count, "subscribers", at <= now)
        for at, count in slots.items()
    ]
