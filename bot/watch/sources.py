"""The sources a case depends on: /watch adds and lists them, /unwatch removes one.

Every function takes the caller's session first and never commits. Adding and removing are
audited; every refusal is a DomainError raised before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain import audit, cases
from bot.domain.errors import CaseClosed
from bot.domain.staff import Actor, require
from bot.store.models import Case, CaseEvent, WatchSource
from bot.watch import keywords as kw
from bot.watch.errors import BadKeywords, TooManySources, UnknownSource, UnsafeUrl
from bot.watch.safety import Policy, Refused, check_url

MAX_SOURCES = 20  # per case
DEFAULT_INTERVAL = 3600


@dataclass(frozen=True)
class Added:
    source: WatchSource
    position: int
    created: bool  # False: the URL was watched already; its keywords were replaced


def sources_of(session: Session, case_id: int) -> list[WatchSource]:
    """A case's sources in the order /watch numbers them."""
    stmt = select(WatchSource).where(WatchSource.case_id == case_id).order_by(WatchSource.id)
    return list(session.scalars(stmt))


def check_keywords(words: Sequence[str]) -> list[str]:
    if len(words) > kw.MAX_KEYWORDS:
        raise BadKeywords(limit=kw.MAX_KEYWORDS, length=kw.KEYWORD_LENGTH)
    for word in words:
        if len(kw.normalise(word)) < 2 or len(word) > kw.KEYWORD_LENGTH:
            raise BadKeywords(limit=kw.MAX_KEYWORDS, length=kw.KEYWORD_LENGTH)
    return list(words)


def checked_url(url: str, policy: Policy) -> str:
    try:
        check_url(url, policy)
    except Refused as exc:
        raise UnsafeUrl(problem=f"refused_{exc.why}", detail=exc.detail[:100]) from None
    return url.strip()


def add_source(
    session: Session,
    actor: Actor,
    ref: str,
    url: str,
    words: Sequence[str] = (),
    *,
    policy: Policy,
    now: datetime,
    interval: int = DEFAULT_INTERVAL,
) -> Added:
    """Watch `url` for the case; due at once. The same URL again replaces its keywords and
    lifts a mute."""
    require(actor, "coordinator", "watch")
    case = cases.get_case(session, ref, whole=False)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    url, words = checked_url(url, policy), check_keywords(words)
    existing = sources_of(session, case.id)
    source = next((s for s in existing if s.url == url), None)
    created = source is None
    if source is None:
        if len(existing) >= MAX_SOURCES:
            raise TooManySources(ref=case.ref, limit=MAX_SOURCES)
        source = _new_source(session, actor, case, url, now, interval)
        existing.append(source)
    before = None if created else {"keywords": source.keywords, "status": source.status}
    source.keywords, source.status, source.next_check_at = words, "active", now
    session.flush()
    audit.record(
        session,
        actor,
        "watch.add",
        case_ref=case.ref,
        entity="watch_source",
        entity_id=source.id,
        before=before,
        after={"url": url, "keywords": words},
    )
    return Added(source, existing.index(source) + 1, created)


def _new_source(
    session: Session, actor: Actor, case: Case, url: str, now: datetime, interval: int
) -> WatchSource:
    source = WatchSource(
        case_id=case.id, url=url, added_by=actor.user_id, added_at=now, interval_seconds=interval
    )
    session.add(source)
    # On the case's timeline, with no public text: it makes the coordinator one of those who
    # worked on the case, who hear its news (bot/domain/scheduled.coordinators).
    session.add(CaseEvent(case_id=case.id, kind="source_watched", actor_id=actor.user_id))
    return source


def list_sources(session: Session, actor: Actor, ref: str) -> tuple[Case, list[WatchSource]]:
    require(actor, "coordinator", "watch")
    case = cases.get_case(session, ref, whole=False)
    return case, sources_of(session, case.id)


def remove_source(session: Session, actor: Actor, ref: str, position: int) -> WatchSource:
    """Stop watching the case's source number `position` (as /watch REF numbers them); its
    items go with it."""
    require(actor, "coordinator", "unwatch")
    case = cases.get_case(session, ref, whole=False)
    existing = sources_of(session, case.id)
    if not 1 <= position <= len(existing):
        raise UnknownSource(ref=case.ref, position=position, count=len(existing))
    source = existing[position - 1]
    audit.record(
        session,
        actor,
        "watch.remove",
        case_ref=case.ref,
        entity="watch_source",
        entity_id=source.id,
        before={"url": source.url, "keywords": source.keywords},
    )
    session.delete(source)
    session.flush()
    return source


def count_active(session: Session) -> int:
    return session.scalar(select(func.count()).where(WatchSource.status == "active")) or 0
