"""Subscriber commands and buttons: thin, each parses, calls the domain and picks a template."""

from __future__ import annotations

from datetime import datetime

from bot import schedule
from bot.config import get_settings
from bot.domain import actions, cases, subscriptions
from bot.domain.errors import UnknownCase
from bot.domain.views import case_line, public_case
from bot.languages import LANGUAGES
from bot.store.models import ACTION_HOWS, SUBSCRIBER_MODES, Case, Subscriber
from bot.telegram import awaiting
from bot.telegram.dispatch import Ctx, ExpiredButton, Usage
from bot.telegram.keyboards import (
    Button,
    case_buttons,
    cases_page_buttons,
    how_buttons,
    label,
    language_buttons,
    mode_buttons,
    stop_buttons,
)
from bot.telegram.reply import Reply

PAGE_SIZE = 5
FOLLOW_KINDS = {"all": "all", "country": "country", "theme": "theme"}


def start(ctx: Ctx) -> Reply:
    subscriptions.ensure_subscriber(ctx.session, ctx.chat_id, ctx.lang)
    welcome = "bot/start_staff.html" if ctx.actor.is_staff else "bot/start.html"
    return Reply.page(welcome, ctx.lang, language_buttons(), role=ctx.actor.role)


def help_(ctx: Ctx) -> Reply:
    return Reply.page("bot/help.html", ctx.lang, staff=ctx.actor.role)


def cases_page(ctx: Ctx, page: int = 0, *, edit: bool = False) -> Reply:
    total = cases.count_cases(ctx.session)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = cases.list_cases(ctx.session, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    views = [case_line(c, ctx.lang) for c in rows]
    return Reply(
        Reply.page(
            "bot/cases.html",
            ctx.lang,
            cases=views,
            page=page + 1,
            pages=pages,
            total=total,
            tz=ctx.tz,
        ).html,
        cases_page_buttons(ctx.lang, views, page, pages),
        edit=edit,
    )


def list_cases(ctx: Ctx) -> Reply:
    if ctx.args and not ctx.args[0].isdigit():
        raise Usage("cases")
    return cases_page(ctx, int(ctx.args[0]) - 1 if ctx.args else 0)


def _ref(ctx: Ctx, command: str) -> str:
    if not ctx.args:
        raise Usage(command)
    return ctx.args[0]


def show_case(ctx: Ctx, ref: str | None = None) -> Reply:
    ref = ref or _ref(ctx, "case")
    staff_view = ctx.actor.is_staff
    case = cases.get_case(ctx.session, ref) if staff_view else cases.visible_case(ctx.session, ref)
    tally = actions.tally(ctx.session, case.id)
    staff_here = staff_view and ctx.private
    return Reply.page(
        "bot/case.html",
        ctx.lang,
        case_buttons(ctx.lang, case.ref, closed=case.status == "closed"),
        case=public_case(case, ctx.lang),
        tally=tally,
        staff=staff_here,
        internal_index=case.internal_index if staff_here else None,
        next_reminder=_next_reminder(ctx, case) if staff_here else None,
        tz=ctx.tz,
    )


def _next_reminder(ctx: Ctx, case: Case) -> datetime | None:
    """When the followers who have not acted are next reminded (REMINDER_OFFSETS)."""
    if case.status != "active":
        return None
    policy = schedule.Policy.from_settings(get_settings())
    return schedule.next_reminder(schedule.CaseClock.of(case), ctx.now, policy)


def _scope(ctx: Ctx, command: str) -> tuple[str, str]:
    if not ctx.args:
        raise Usage(command)
    first = ctx.args[0].lower()
    if first == "all":
        return "all", "*"
    if first in FOLLOW_KINDS:
        if len(ctx.args) < 2:
            raise Usage(command)
        return first, ctx.args[1]
    return "case", ctx.args[0]


def follow(ctx: Ctx, ref: str | None = None) -> Reply:
    kind, value = ("case", ref) if ref else _scope(ctx, "follow")
    result = subscriptions.follow(ctx.session, ctx.chat_id, kind, value, ctx.lang)
    return Reply.page(
        "bot/followed.html", ctx.lang, kind=result.kind, value=result.value, created=result.created
    )


def unfollow(ctx: Ctx) -> Reply:
    kind, value = _scope(ctx, "unfollow")
    result = subscriptions.unfollow(ctx.session, ctx.chat_id, kind, value)
    return Reply.page("bot/unfollowed.html", ctx.lang, kind=result.kind, value=result.value)


def mine(ctx: Ctx) -> Reply:
    scopes = subscriptions.scopes_of(ctx.session, ctx.chat_id)
    subscriber = subscriptions.get_subscriber(ctx.session, ctx.chat_id)
    return Reply.page(
        "bot/mine.html",
        ctx.lang,
        scopes=scopes,
        mode=subscriber.mode if subscriber else "immediate",
    )


def acted(ctx: Ctx, ref: str | None = None) -> Reply:
    """Counted at once; the buttons below ask how, one more tap that only refines it."""
    ref = ref or _ref(ctx, "acted")
    result = actions.record_action(ctx.session, ctx.chat_id, ref, now=ctx.now)
    return Reply.page(
        "bot/acted.html",
        ctx.lang,
        how_buttons(ctx.lang, result.case_ref),
        ref=result.case_ref,
        created=result.created,
        tally=result.tally,
    )


def button_how(ctx: Ctx) -> Reply:
    """how:REF:HOW: how the supporter acted (e-mail, letter, web form, social, call)."""
    if len(ctx.args) != 2 or not cases.REF_PATTERN.match(ctx.args[0]):
        raise ExpiredButton
    if ctx.args[1] not in ACTION_HOWS:
        raise ExpiredButton
    ref = actions.set_how(ctx.session, ctx.chat_id, ctx.args[0], ctx.args[1], now=ctx.now)
    return Reply(Reply.page("bot/how_set.html", ctx.lang, ref=ref, how=ctx.args[1]).html, edit=True)


def settings(ctx: Ctx) -> Reply:
    """/settings shows them; /settings tz ZONE and /settings hour H change the digest's clock."""
    if ctx.args:
        return _change_setting(ctx)
    subscriber = subscriptions.ensure_subscriber(ctx.session, ctx.chat_id, ctx.lang)
    buttons = language_buttons() + mode_buttons(ctx.lang) + _sign_buttons(ctx, subscriber)
    return Reply.page(
        "bot/settings.html",
        ctx.lang,
        buttons,
        language=subscriber.language,
        mode=subscriber.mode,
        timezone=subscriber.timezone,
        hour=subscriber.digest_hour,
        signer=_signer(subscriber),
    )


def _signer(subscriber: Subscriber) -> dict[str, str | None]:
    return {
        "name": subscriber.signature,
        "town": subscriber.sender_town,
        "email": subscriber.sender_email,
    }


def _sign_buttons(ctx: Ctx, subscriber: Subscriber) -> list[list[Button]]:
    row = [(label(ctx.lang, "sign"), "sign:name")]
    if subscriber.signature or subscriber.sender_town or subscriber.sender_email:
        row.append((label(ctx.lang, "unsign"), "sign:clear"))
    return [row]


def _change_setting(ctx: Ctx) -> Reply:
    field = ctx.args[0].lower()
    if field in subscriptions.SIGNER_FIELDS or field == "clear":
        return _change_signer(ctx, field)
    if len(ctx.args) != 2 or field not in ("tz", "hour"):
        raise Usage("settings")
    if ctx.args[0].lower() == "tz":
        subscriber = subscriptions.set_timezone(ctx.session, ctx.chat_id, ctx.args[1])
        return Reply.page("bot/timezone_set.html", ctx.lang, timezone=subscriber.timezone)
    if not ctx.args[1].isdigit():
        raise Usage("settings")
    subscriber = subscriptions.set_digest_hour(ctx.session, ctx.chat_id, int(ctx.args[1]))
    return Reply.page(
        "bot/hour_set.html", ctx.lang, hour=subscriber.digest_hour, timezone=subscriber.timezone
    )


def _change_signer(ctx: Ctx, field: str) -> Reply:
    """/settings name|town|email VALUE ("-" clears that one); /settings clear: all three."""
    if field == "clear":
        subscriber = subscriptions.clear_signer(ctx.session, ctx.chat_id)
    else:
        value = ctx.rest.split(maxsplit=1)[1] if len(ctx.args) > 1 else ""
        if not value.strip():
            raise Usage("settings")
        subscriber = subscriptions.set_signer(ctx.session, ctx.chat_id, field, value)
    return Reply.page("bot/signer_set.html", ctx.lang, signer=_signer(subscriber))


def button_sign(ctx: Ctx) -> Reply:
    """sign:name asks for the name that signs letters (the next message is it);
    sign:clear forgets name, town and e-mail."""
    if ctx.args == ["name"]:
        awaiting.ask(ctx.user_data, "sign", ctx.now)
        return Reply.page("bot/signer_ask.html", ctx.lang)
    if ctx.args == ["clear"]:
        awaiting.clear(ctx.user_data)
        subscriber = subscriptions.clear_signer(ctx.session, ctx.chat_id)
        return Reply.page("bot/signer_set.html", ctx.lang, signer=_signer(subscriber))
    raise ExpiredButton


def signer_name(ctx: Ctx) -> Reply:
    """The message after "Sign my letters": the name, as it should sign them."""
    subscriber = subscriptions.set_signer(ctx.session, ctx.chat_id, "name", ctx.rest)
    awaiting.clear(ctx.user_data)  # only once it is valid: a bad one may be sent again
    return Reply.page("bot/signer_set.html", ctx.lang, signer=_signer(subscriber), asked=True)


def set_language(ctx: Ctx) -> Reply:
    if len(ctx.args) != 1 or ctx.args[0] not in LANGUAGES:
        raise ExpiredButton
    subscriber = subscriptions.set_language(ctx.session, ctx.chat_id, ctx.args[0])
    return Reply.page("bot/language_set.html", subscriber.language)


def set_mode(ctx: Ctx) -> Reply:
    if len(ctx.args) != 1 or ctx.args[0] not in SUBSCRIBER_MODES:
        raise ExpiredButton
    subscriber = subscriptions.set_mode(ctx.session, ctx.chat_id, ctx.args[0])
    return Reply.page("bot/mode_set.html", ctx.lang, mode=subscriber.mode)


def stop(ctx: Ctx) -> Reply:
    """/stop asks first: erasing is immediate and cannot be undone."""
    return Reply.page("bot/stop_confirm.html", ctx.lang, stop_buttons(ctx.lang))


def button_stop(ctx: Ctx) -> Reply:
    """stop:yes erases, stop:no keeps; the question is replaced by the answer."""
    if ctx.args == ["yes"]:
        erased = subscriptions.erase(ctx.session, ctx.chat_id)
        return Reply(Reply.page("bot/stopped.html", ctx.lang, erased=erased).html, edit=True)
    if ctx.args == ["no"]:
        return Reply(Reply.page("bot/stop_kept.html", ctx.lang).html, edit=True)
    raise ExpiredButton


# Buttons: args come from callback data, already split on ":".


def button_cases(ctx: Ctx) -> Reply:
    if len(ctx.args) != 1 or not ctx.args[0].isdigit():
        raise ExpiredButton
    return cases_page(ctx, int(ctx.args[0]), edit=True)


def _button_ref(ctx: Ctx) -> str:
    if len(ctx.args) != 1 or not cases.REF_PATTERN.match(ctx.args[0]):
        raise ExpiredButton
    return ctx.args[0]


def button_case(ctx: Ctx) -> Reply:
    try:
        return show_case(ctx, _button_ref(ctx))
    except UnknownCase:
        raise ExpiredButton from None


def _case_for_reader(ctx: Ctx) -> Case:
    ref = _button_ref(ctx)
    try:
        if ctx.actor.is_staff:
            return cases.get_case(ctx.session, ref, whole=False)
        return cases.visible_case(ctx.session, ref, whole=False)
    except UnknownCase:
        raise ExpiredButton from None


def button_more(ctx: Ctx) -> Reply:
    """more:REF: the case's background, the "additional information" of an urgent action."""
    case = _case_for_reader(ctx)
    return Reply.page("bot/case_more.html", ctx.lang, ref=case.ref, background=case.background)


def button_history(ctx: Ctx) -> Reply:
    """history:REF: every further information so far, with its date, for who joined late."""
    case = _case_for_reader(ctx)
    events = cases.history(ctx.session, case)
    return Reply.page(
        "bot/case_history.html",
        ctx.lang,
        ref=case.ref,
        published_at=case.published_at,
        events=events,
        timezone=case.timezone,
    )


def button_follow(ctx: Ctx) -> Reply:
    return follow(ctx, _button_ref(ctx))


def button_acted(ctx: Ctx) -> Reply:
    return acted(ctx, _button_ref(ctx))
