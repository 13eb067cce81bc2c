"""What a coordinator does with a news item: draft further information from it, dismiss it
("Not relevant": never shown again), or mute its source. Caller's session, never committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain import audit, cases
from bot.domain.staff import Actor, require
from bot.store.models import Case, WatchItem, WatchSource
from bot.watch.errors import UnknownItem

DRAFT_LIMIT = 3000  # further information's own limit (bot/domain/cases.py)


@dataclass(frozen=True)
class Draft:
    case: Case
    text: str


def get_item(session: Session, item_id: int) -> WatchItem:
    item = session.get(WatchItem, item_id)
    if item is None:
        raise UnknownItem(item_id=item_id)
    return item


def draft(session: Session, actor: Actor, item_id: int, now: datetime) -> Draft:
    """The further information this item suggests: its title and link. Nothing is published
    here: the caller shows the preview, and only a Confirm publishes it."""
    require(actor, "coordinator", "update")
    item = get_item(session, item_id)
    case = cases.get_case(session, _ref(session, item))
    cases.check_active(case)
    text = "\n".join(part for part in (item.title, item.link) if part)[:DRAFT_LIMIT]
    item.status, item.reviewed_by, item.reviewed_at = "drafted", actor.user_id, now
    return Draft(case, text)


def dismiss(session: Session, actor: Actor, item_id: int, now: datetime) -> WatchItem:
    require(actor, "coordinator", "watch")
    item = get_item(session, item_id)
    before = item.status
    item.status, item.reviewed_by, item.reviewed_at = "dismissed", actor.user_id, now
    audit.record(
        session,
        actor,
        "watch.dismiss",
        case_ref=_ref(session, item),
        entity="watch_item",
        entity_id=item.id,
        before={"status": before},
        after={"status": "dismissed"},
    )
    return item


def mute(session: Session, actor: Actor, item_id: int) -> WatchSource:
    """Stop checking the item's source; /watch REF URL again lifts the mute."""
    require(actor, "coordinator", "watch")
    source = get_item(session, item_id).source
    before = source.status
    source.status = "muted"
    audit.record(
        session,
        actor,
        "watch.mute",
        case_ref=source.case.ref,
        entity="watch_source",
        entity_id=source.id,
        before={"status": before},
        after={"status": "muted"},
    )
    return source


def _ref(session: Session, item: WatchItem) -> str:
    return item.source.case.ref
