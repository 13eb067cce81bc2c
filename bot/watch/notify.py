"""The watch's private notices to coordinators, queued in the outbox the sender drains.

A notice is an alert of its own kind ("news", "source_failing") with no case attached (so it
never counts in a case's /stats), one delivery per coordinator, written in the caller's
transaction: the item and its notice commit together or not at all. The alert's dedupe key
("watch:item:<id>:<found at>") makes the database itself refuse a second notice of one item,
and is never met again: SQLite reuses the id of a deleted row (an /unwatch deletes its
items), but not with the same instant it was found at.

Its buttons travel with it: `texts["_buttons"]` holds rows of (label template, callback
data), and bot/delivery/message.py renders the labels in each reader's language.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain import alerts, scheduled
from bot.languages import LANGUAGES
from bot.store.db import savepoint
from bot.store.models import Alert, Case, WatchItem, WatchSource
from bot.texts import render
from bot.watch.problems import explain

NEWS = "news"
FAILING = "source_failing"
BUTTONS_KEY = "_buttons"

ButtonSpec = tuple[str, str]  # (label name in templates/ui/buttons.txt, callback data)


def news_buttons(item_id: int) -> list[list[ButtonSpec]]:
    """Callback data holds only the item's id: `wd` draft, `wx` not relevant, `wm` mute."""
    return [
        [("watch_draft", f"wd:{item_id}")],
        [("watch_dismiss", f"wx:{item_id}"), ("watch_mute", f"wm:{item_id}")],
    ]


def queue_news(
    session: Session,
    item: WatchItem,
    source: WatchSource,
    case: Case,
    now: datetime,
    *,
    more: int = 0,
) -> Alert:
    texts = {
        lang: render(
            "watch/news.html",
            lang,
            item=item,
            source=source,
            ref=case.ref,
            title=case.title,
            more=more,
        )
        for lang in LANGUAGES
    }
    key = f"watch:item:{item.id}:{item.found_at.timestamp():.6f}"
    return queue(session, NEWS, case, texts, news_buttons(item.id), key, now)


def queue_failing(session: Session, source: WatchSource, case: Case, now: datetime) -> Alert:
    texts = {
        lang: render(
            "watch/failing.html",
            lang,
            source=source,
            ref=case.ref,
            problem=explain(source.last_error or "", lang),
        )
        for lang in LANGUAGES
    }
    since = int(source.failing_since.timestamp()) if source.failing_since else 0
    return queue(session, FAILING, case, texts, [], f"watch:failing:{source.id}:{since}", now)


def queue(
    session: Session,
    kind: str,
    case: Case,
    texts: dict[str, str],
    buttons: list[list[ButtonSpec]],
    dedupe_key: str,
    now: datetime,
) -> Alert:
    """One alert, a pending delivery per coordinator of the case (the scheduler's notion of
    them: staff who worked on the case, else all staff; their private chats' subscriber rows
    are made when missing)."""
    alert = Alert(
        case_id=None,
        kind=kind,
        texts={**texts, BUTTONS_KEY: json.dumps(buttons)} if buttons else texts,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    session.add(alert)
    session.flush()
    alerts.queue_to(session, alert, _recipients(session, case.id), now)
    return alert


def _recipients(session: Session, case_id: int) -> list[int]:
    """The coordinators' subscriber ids. Two checks may both make a coordinator's missing row
    at once (PostgreSQL: the second waits, then hits the unique rule): then the row exists,
    and a second try, in a savepoint like the first, finds it."""
    for attempt in range(2):
        try:
            with savepoint(session):
                return scheduled.staff_subscribers(session, case_id)
        except IntegrityError:
            if attempt:
                raise
    return []
