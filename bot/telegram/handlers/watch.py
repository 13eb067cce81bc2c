"""/watch, /unwatch and the news buttons. Logic lives in bot/watch; these only parse and reply.

"Draft further information" ends in the same preview as /update, with the same Confirm:
nothing reaches subscribers until the coordinator confirms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.config import get_settings
from bot.domain import subscriptions
from bot.store.models import WatchSource
from bot.telegram.dispatch import Ctx, ExpiredButton, Usage
from bot.telegram.handlers.coordinator import _tail, alert_confirmation
from bot.telegram.reply import Reply
from bot.watch import review, sources
from bot.watch.keywords import split_keywords
from bot.watch.poller import policy_of
from bot.watch.problems import explain


@dataclass(frozen=True)
class SourceView:
    """A source's health as /watch REF lists it."""

    url: str
    kind: str | None
    keywords: list[str]
    muted: bool
    last_check_at: datetime | None
    last_new_at: datetime | None
    failing_since: datetime | None
    problem: str | None


def watch(ctx: Ctx) -> Reply:
    if not ctx.args:
        raise Usage("watch")
    if len(ctx.args) == 1:
        return listing(ctx, ctx.args[0])
    settings = get_settings()
    added = sources.add_source(
        ctx.session,
        ctx.actor,
        ctx.args[0],
        ctx.args[1],
        split_keywords(_tail(ctx, 2)),
        policy=policy_of(settings),
        now=ctx.now,
        interval=settings.WATCH_INTERVAL,
    )
    if ctx.private:  # news comes to this chat: in this person's language
        subscriptions.ensure_subscriber(ctx.session, ctx.chat_id, ctx.lang)
    return Reply.page(
        "watch/added.html",
        ctx.lang,
        ref=added.source.case.ref,
        url=added.source.url,
        keywords=added.source.keywords,
        position=added.position,
        created=added.created,
    )


def listing(ctx: Ctx, ref: str) -> Reply:
    case, rows = sources.list_sources(ctx.session, ctx.actor, ref)
    views = [_view(row, ctx.lang) for row in rows]
    return Reply.page("watch/list.html", ctx.lang, ref=case.ref, sources=views)


def _view(row: WatchSource, lang: str) -> SourceView:
    return SourceView(
        url=row.url,
        kind=row.kind,
        keywords=list(row.keywords or []),
        muted=row.status == "muted",
        last_check_at=row.last_check_at,
        last_new_at=row.last_new_at,
        failing_since=row.failing_since,
        problem=explain(row.last_error, lang) if row.last_error else None,
    )


def unwatch(ctx: Ctx) -> Reply:
    if len(ctx.args) != 2 or not ctx.args[1].isdigit():
        raise Usage("unwatch")
    removed = sources.remove_source(ctx.session, ctx.actor, ctx.args[0], int(ctx.args[1]))
    return Reply.page(
        "watch/removed.html",
        ctx.lang,
        ref=removed.case.ref,
        url=removed.url,
        position=int(ctx.args[1]),
    )


def _item_id(ctx: Ctx) -> int:
    if len(ctx.args) != 1 or not ctx.args[0].isdigit():
        raise ExpiredButton
    return int(ctx.args[0])


def button_draft(ctx: Ctx) -> Reply:
    """wd:<item>: the /update preview with the item's title and link; Confirm publishes."""
    draft = review.draft(ctx.session, ctx.actor, _item_id(ctx), ctx.now)
    return alert_confirmation(
        ctx, draft.case, {"op": "update", "ref": draft.case.ref, "text": draft.text}
    )


def button_dismiss(ctx: Ctx) -> Reply:
    item = review.dismiss(ctx.session, ctx.actor, _item_id(ctx), ctx.now)
    html = Reply.page("watch/dismissed.html", ctx.lang, title=item.title).html
    return Reply(html, edit=True)


def button_mute(ctx: Ctx) -> Reply:
    source = review.mute(ctx.session, ctx.actor, _item_id(ctx))
    html = Reply.page("watch/muted.html", ctx.lang, ref=source.case.ref, url=source.url).html
    return Reply(html, edit=True)
