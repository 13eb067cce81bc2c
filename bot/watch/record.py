"""A check's outcome, written to the store: new items and their notices, the source's health,
when it is checked next. Functions take the caller's session first and never commit.

Items are known by key (a hash of the guid or link, or of a page's main text), so a feed that
reorders or re-dates what it already showed adds nothing, and a restart re-announces nothing.
A source's first successful check records what is already there without announcing it, but
for the few newest items that match its keywords (what the coordinator asked about).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from bot.store.db import is_postgresql
from bot.store.models import Case, WatchItem, WatchSource
from bot.watch import keywords as kw
from bot.watch import notify
from bot.watch.fetch import Fetched
from bot.watch.parse import Entry, Page, digest
from bot.watch.problems import Problem

PAGE_TEXT_LIMIT = 200_000
EXCERPT_LENGTH = 300
KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class Rules:
    jitter: float = 0.1  # each wait is stretched or shrunk by up to this share
    failing_after: timedelta = timedelta(days=1)  # then coordinators are told, once
    backoff_max: timedelta = timedelta(hours=6)
    first_check_limit: int = 3  # matching items announced from a source's first check
    per_check_limit: int = 5  # a feed that re-keys everything at once floods no one


@dataclass(frozen=True)
class Due:
    """A claimed source, as the poller needs it to fetch."""

    id: int
    url: str
    kind: str | None
    etag: str | None
    last_modified: str | None
    content_hash: str | None


@dataclass(frozen=True)
class Report:
    source_id: int
    outcome: str  # new, unchanged, not_modified, failed, gone (removed meanwhile)
    found: int = 0  # items not seen before
    announced: int = 0
    problem: str | None = None


def _checked_sources() -> Select[int]:
    """Sources that are checked at all: active, of a case still open."""
    return (
        select(WatchSource.id)
        .join(Case, Case.id == WatchSource.case_id)
        .where(WatchSource.status == "active", Case.status != "closed")
    )


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta) -> list[Due]:
    """Take up to `limit` due sources of open cases, pushing their next check `lease` on so
    that another poller (another process) leaves them alone; only rows the UPDATE took are
    ours."""
    due = (
        _checked_sources()
        .where(WatchSource.next_check_at <= now)
        .order_by(WatchSource.status, WatchSource.next_check_at, WatchSource.id)
        .limit(limit)
    )
    if is_postgresql(session):
        due = due.with_for_update(skip_locked=True, of=WatchSource)
    candidates = list(session.scalars(due))
    if not candidates:
        return []
    taken = session.execute(
        update(WatchSource)
        .where(
            WatchSource.id.in_(candidates),
            WatchSource.status == "active",
            WatchSource.next_check_at <= now,
        )
        .values(next_check_at=now + lease)
        .returning(
            WatchSource.id,
            WatchSource.url,
            WatchSource.kind,
            WatchSource.etag,
            WatchSource.last_modified,
            WatchSource.content_hash,
        )
        .execution_options(synchronize_session=False)
    )
    return sorted((Due(*row) for row in taken), key=lambda d: candidates.index(d.id))


def next_due_at(session: Session) -> datetime | None:
    """When the next check falls due; a closed case's sources never do."""
    return session.scalar(
        _checked_sources()
        .with_only_columns(WatchSource.next_check_at)
        .order_by(WatchSource.status, WatchSource.next_check_at)
        .limit(1)
    )


def _source(session: Session, source_id: int) -> WatchSource | None:
    stmt = select(WatchSource).where(WatchSource.id == source_id)
    if is_postgresql(session):
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def _wait(seconds: float, rules: Rules, rng: random.Random) -> timedelta:
    return timedelta(seconds=seconds * rng.uniform(1 - rules.jitter, 1 + rules.jitter))


def _healthy(
    source: WatchSource, now: datetime, rules: Rules, rng: random.Random, fetched: Fetched
) -> None:
    source.last_check_at = source.last_ok_at = now
    source.failures, source.failing_since, source.failure_flagged = 0, None, False
    source.last_error = None
    if fetched.status == 200:
        source.etag = (fetched.etag or "")[:256] or None
        source.last_modified = (fetched.last_modified or "")[:64] or None
        source.content_hash = digest_body(fetched.body)
    source.next_check_at = now + _wait(source.interval_seconds, rules, rng)


def digest_body(body: bytes) -> str:
    return digest(body.decode("latin-1"))


def record_unchanged(
    session: Session,
    source_id: int,
    fetched: Fetched,
    now: datetime,
    rules: Rules,
    rng: random.Random,
) -> Report:
    """304, or the same body as last time: nothing parsed, nothing new."""
    source = _source(session, source_id)
    if source is None:
        return Report(source_id, "gone")
    _healthy(source, now, rules, rng, fetched)
    return Report(source_id, "not_modified" if fetched.status == 304 else "unchanged")


def record_problem(
    session: Session,
    source_id: int,
    problem: Problem,
    now: datetime,
    rules: Rules,
    rng: random.Random,
) -> Report:
    """Back off (doubling, capped; longer if the server asked), and once a failing streak has
    lasted `failing_after`, tell the coordinators: once per streak."""
    source = _source(session, source_id)
    if source is None:
        return Report(source_id, "gone")
    source.failures += 1
    source.last_error = problem.stored()
    source.last_check_at = now
    source.failing_since = source.failing_since or now
    cap = max(rules.backoff_max.total_seconds(), source.interval_seconds)
    delay = min(source.interval_seconds * 2 ** (source.failures - 1), cap)
    if problem.retry_after:
        delay = max(delay, min(problem.retry_after, 86_400))
    source.next_check_at = now + _wait(delay, rules, rng)
    if not source.failure_flagged and now - source.failing_since >= rules.failing_after:
        source.failure_flagged = True
        case = session.get_one(Case, source.case_id)
        notify.queue_failing(session, source, case, now)
    return Report(source_id, "failed", problem=source.last_error)


def record_content(
    session: Session,
    source_id: int,
    fetched: Fetched,
    kind: str,
    content: list[Entry] | Page,
    now: datetime,
    rules: Rules,
    rng: random.Random,
) -> Report:
    source = _source(session, source_id)
    if source is None:
        return Report(source_id, "gone")
    source.kind = kind
    if isinstance(content, Page):
        found, announced = _record_page(session, source, content, now, rules)
    else:
        found, announced = _record_entries(session, source, content, now, rules)
    _healthy(source, now, rules, rng, fetched)
    if found:
        source.last_new_at = now
    return Report(source_id, "new" if found else "unchanged", found, announced)


def _known_keys(session: Session, source_id: int, keys: Sequence[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = list(keys[start : start + KEYS_PER_QUERY])
        known.update(
            session.scalars(
                select(WatchItem.key).where(
                    WatchItem.source_id == source_id, WatchItem.key.in_(chunk)
                )
            )
        )
    return known


def _record_entries(
    session: Session, source: WatchSource, entries: list[Entry], now: datetime, rules: Rules
) -> tuple[int, int]:
    known = _known_keys(session, source.id, [e.key for e in entries])
    fresh = [e for e in entries if e.key not in known]
    chosen, more = choose(source.keywords, fresh, source.last_ok_at is None, rules)
    picked = {e.key: matched for e, matched in chosen}
    items = {
        e.key: _item(source, e.key, e.title, e.link, _cut(e.summary), picked.get(e.key), now)
        for e in fresh
    }
    session.add_all(items.values())
    session.flush()
    _announce(session, source, [items[e.key] for e, _ in chosen], now, more)
    return len(fresh), len(chosen)


def choose(
    keywords: Sequence[str], fresh: Sequence[Entry], first: bool, rules: Rules
) -> tuple[list[tuple[Entry, list[str]]], int]:
    """Which new entries to announce, oldest first, and how many more matched than that.

    With keywords, those that match; without, all, except on the first check (the backlog
    a coordinator has seen already). The newest `limit` by date (feed order if undated)."""
    matched = [(e, kw.matches(keywords, e.text)) for e in fresh]
    backlog = first and not keywords
    candidates = [] if backlog else [(e, m) for e, m in matched if m or not keywords]
    limit = rules.first_check_limit if first else rules.per_check_limit
    order = {e.key: i for i, e in enumerate(fresh)}
    newest = sorted(
        candidates,
        key=lambda pair: (pair[0].published is None, -_stamp(pair[0]), order[pair[0].key]),
    )[:limit]
    return newest[::-1], max(0, len(candidates) - limit)


def _stamp(entry: Entry) -> float:
    return entry.published.timestamp() if entry.published else 0.0


def _item(
    source: WatchSource,
    key: str,
    title: str,
    link: str | None,
    excerpt: str | None,
    matched: list[str] | None,
    now: datetime,
) -> WatchItem:
    return WatchItem(
        source_id=source.id,
        key=key,
        title=title,
        link=link,
        excerpt=excerpt,
        matched=matched or [],
        status="seen" if matched is None else "announced",
        found_at=now,
    )


def _announce(
    session: Session, source: WatchSource, items: list[WatchItem], now: datetime, more: int
) -> None:
    if not items:
        return
    case = session.get_one(Case, source.case_id)
    for i, item in enumerate(items):
        extra = more if i == len(items) - 1 else 0
        notify.queue_news(session, item, source, case, now, more=extra)


def _record_page(
    session: Session, source: WatchSource, page: Page, now: datetime, rules: Rules
) -> tuple[int, int]:
    """A page is news when its main text gains paragraphs (that match the keywords, if any).
    Its first version, and a version seen before (a page flipping back), are not."""
    previous = source.page_text
    source.page_text = page.text[:PAGE_TEXT_LIMIT]
    if previous == source.page_text or _known_keys(session, source.id, [page.key]):
        return 0, 0
    old = set((previous or "").split("\n"))
    added = [block for block in page.blocks if block not in old]
    matched = kw.found_in_any(source.keywords, added) if source.keywords else []
    news = previous is not None and bool(added) and (bool(matched) or not source.keywords)
    title = page.title or source.url
    item = _item(
        source,
        page.key,
        title,
        source.url,
        excerpt(added, matched),
        matched if news else None,
        now,
    )
    session.add(item)
    session.flush()
    _announce(session, source, [item] if news else [], now, 0)
    return 1, int(news)


def excerpt(added: Sequence[str], matched: Sequence[str]) -> str | None:
    """What the page gained, starting with a paragraph that names a keyword."""
    if not added:
        return None
    first = next((b for b in added if kw.matches(matched, b)), added[0]) if matched else added[0]
    rest = [b for b in added if b != first]
    return _cut(" ¶ ".join([first, *rest]))


def _cut(text: str) -> str | None:
    if not text:
        return None
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"
