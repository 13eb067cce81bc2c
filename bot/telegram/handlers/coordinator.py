"""Coordinator and admin commands. Roles are checked by the dispatcher *and* the domain.

Anything that alerts subscribers (/publish, /update, /close) first shows the exact alert and
waits for a Confirm press; bot/telegram/confirmations.py keeps the request under a random
token and decides whether a tap still stands (a forged button finds nothing and is told it
expired; a superseded, revoked or old one is told nothing was sent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from markupsafe import Markup

from bot.domain import actions, alerts, cases, safeguards, staff
from bot.domain.cases import PersonInput, TargetInput
from bot.domain.letters import set_letter
from bot.domain.reveal import PrivateOnly, audit_trail
from bot.domain.timeutil import parse_local_deadline
from bot.domain.views import case_line
from bot.languages import LANGUAGES
from bot.store.models import OUTCOMES, PERSON_STATUSES, STAFF_ROLES, TARGET_ROLES, Case
from bot.telegram import awaiting, confirmations
from bot.telegram.dispatch import Ctx, ExpiredButton, Usage
from bot.telegram.keyboards import Button, cases_page_buttons, confirm_buttons, label
from bot.telegram.reply import Reply


def _need(ctx: Ctx, command: str, count: int) -> list[str]:
    if len(ctx.args) < count:
        raise Usage(command)
    return ctx.args


def _tail(ctx: Ctx, skip: int) -> str:
    """The raw text after the first `skip` arguments, whitespace and line breaks kept."""
    rest = ctx.rest
    for _ in range(skip):
        rest = rest.lstrip().split(maxsplit=1)[1] if len(rest.split(maxsplit=1)) > 1 else ""
    return rest.strip()


def add_person(ctx: Ctx) -> Reply:
    ref, status = _need(ctx, "addperson", 3)[:2]
    if status.lower() not in PERSON_STATUSES:
        raise Usage("addperson", "status")
    person = cases.add_person(
        ctx.session, ctx.actor, ref, PersonInput(name=_tail(ctx, 2), status=status.lower())
    )
    return Reply.page(
        "bot/person_added.html",
        ctx.lang,
        ref=person.case.ref,
        position=person.position,
        name=person.name,
    )


def add_target(ctx: Ctx) -> Reply:
    ref, role = _need(ctx, "addtarget", 3)[:2]
    fields = [f.strip() for f in _tail(ctx, 2).split(";")]
    if role.lower() not in TARGET_ROLES or len(fields) < 2 or not all(fields[:2]):
        raise Usage("addtarget")
    case = cases.get_case(ctx.session, ref)
    title, name, email, institution, salutation = ([*fields, "", "", ""])[:5]
    link = cases.add_target(
        ctx.session,
        ctx.actor,
        ref,
        TargetInput(
            title=title,
            name=name,
            email=email or None,
            institution=institution,
            salutation=salutation or title,
            country=case.country,
            role=role.lower(),
        ),
    )
    return Reply.page(
        "bot/target_added.html",
        ctx.lang,
        ref=case.ref,
        title=link.target.title,
        name=link.target.name,
        role=link.role,
    )


def deadline(ctx: Ctx) -> Reply:
    args = _need(ctx, "deadline", 2)
    if len(args) > 3:
        raise Usage("deadline")
    case = cases.get_case(ctx.session, args[0])
    when = parse_local_deadline(args[1], args[2] if len(args) > 2 else None, case.timezone)
    case = cases.set_deadline(ctx.session, ctx.actor, case.ref, when, now=ctx.now)
    return Reply.page(
        "bot/deadline_set.html", ctx.lang, ref=case.ref, deadline=case.deadline, tz=case.timezone
    )


def status(ctx: Ctx) -> Reply:
    args = _need(ctx, "status", 3)
    if len(args) != 3 or not args[1].isdigit():
        raise Usage("status")
    person = cases.change_person_status(ctx.session, ctx.actor, args[0], int(args[1]), args[2])
    return Reply.page(
        "bot/status_set.html",
        ctx.lang,
        ref=person.case.ref,
        position=person.position,
        name=person.name,
        status=person.status,
        group_size=person.group_size,
    )


def ask_confirmation(
    ctx: Ctx,
    request: dict[str, Any],
    alert_html: str,
    *,
    readers: list[alerts.Readership] | None = None,
    add: Sequence[str] = (),
) -> Reply:
    """The preview and its Confirm; `readers`: who reads it in which language and what they
    lack; `add`: the languages its text may still be given in (a button each)."""
    grant = staff.grant_stamp(ctx.session, ctx.user_id)
    # A lockdown begun after this kills it (bot/domain/safeguards.confirmation_alive).
    asked = {**request, "asked_at": ctx.now.isoformat()}
    token = confirmations.offer(ctx.user_data, asked, grant, ctx.now)
    more: list[list[Button]] = [
        [(label(ctx.lang, "add_language", code=code), f"fl:{token}:{code}") for code in add]
    ]
    return Reply.page(
        "bot/confirm.html",
        ctx.lang,
        (more if add else []) + confirm_buttons(ctx.lang, token),
        # Already HTML, rendered by an autoescaped template: escaping it again would show
        # the coordinator tags and entities instead of the message subscribers get.
        alert=Markup(alert_html),  # noqa: S704
        op=request["op"],
        ref=request["ref"],
        readers=readers or [],
    )


def alert_confirmation(ctx: Ctx, case: Case, request: dict[str, Any]) -> Reply:
    """The preview of a further information or closing (`request`: op, ref, text as one
    string in the case's language or {language: text}, outcome), with its readers per
    language and a button for each language its text is not given in yet."""
    text: str | dict[str, str] = request["text"]
    given = {case.language} if isinstance(text, str) else set(text)
    if request["op"] == "close":
        kind, changes = "closed", {"outcome": request["outcome"]}
    else:
        kind, changes = "further_information", {"renewed": request["op"] == "renew"}
    return ask_confirmation(
        ctx,
        {**request, "original": case.language},
        alerts.preview(case, kind, ctx.lang, text, **changes),
        readers=alerts.readership(ctx.session, case, kind, text),
        add=[code for code in LANGUAGES if code not in given],
    )


def publish(ctx: Ctx) -> Reply:
    ref = _need(ctx, "publish", 1)[0]
    case = cases.get_case(ctx.session, ref)
    cases.check_publishable(case, ctx.now)
    return ask_confirmation(
        ctx,
        {"op": "publish", "ref": case.ref},
        alerts.preview(case, "new", ctx.lang),
        readers=alerts.readership(ctx.session, case, "new"),
    )


def update(ctx: Ctx) -> list[Reply]:
    return _further_information(ctx, "update")


def renew(ctx: Ctx) -> list[Reply]:
    """/renew: a further information that renews the call to act and opens a new round."""
    return _further_information(ctx, "renew")


def _further_information(ctx: Ctx, op: str) -> list[Reply]:
    ref = _need(ctx, op, 2)[0]
    case = cases.get_case(ctx.session, ref)
    cases.check_active(case)
    text = cases.check_alert_text(_tail(ctx, 1))
    preview = alert_confirmation(ctx, case, {"op": op, "ref": case.ref, "text": text})
    sent_at = cases.repeated_update(ctx.session, case, text, ctx.now)
    if sent_at is None:
        return [preview]
    minutes = max(1, int((ctx.now - sent_at).total_seconds() // 60))
    warning = Reply.page("bot/repeated_update.html", ctx.lang, ref=case.ref, minutes=minutes)
    return [warning, preview]


def close(ctx: Ctx) -> Reply:
    if len(ctx.args) == 1:  # the outcome is picked from buttons, in the reader's language
        case = cases.get_case(ctx.session, ctx.args[0], whole=False)
        cases.check_active(case)
        buttons = [[(label(ctx.lang, "outcome", value=o), f"co:{case.ref}:{o}")] for o in OUTCOMES]
        return Reply.page("bot/close_outcome.html", ctx.lang, buttons, ref=case.ref)
    ref, outcome = _need(ctx, "close", 3)[:2]
    if outcome.lower() not in OUTCOMES:
        raise Usage("close", "outcome")
    case = cases.get_case(ctx.session, ref)
    cases.check_active(case)
    text = cases.check_alert_text(_tail(ctx, 2))
    request = {"op": "close", "ref": case.ref, "outcome": outcome.lower(), "text": text}
    return alert_confirmation(ctx, case, request)


ALERT_OPS = ("update", "renew", "close")  # the previews whose text may come per language


def button_add_language(ctx: Ctx) -> Reply:
    """fl:TOKEN:LANG: ask for the preview's text in that language; the answer (a plain
    message, bot/telegram/awaiting.py) makes a new preview that replaces this one."""
    if len(ctx.args) != 2 or ctx.args[1] not in LANGUAGES:
        raise ExpiredButton
    token, language = ctx.args
    try:
        request = confirmations.peek(
            ctx.user_data, token, staff.grant_stamp(ctx.session, ctx.user_id), ctx.now
        )
    except KeyError:
        raise ExpiredButton from None
    if request["op"] not in ALERT_OPS:
        raise ExpiredButton
    awaiting.ask(ctx.user_data, "alert_text", ctx.now, token=token, language=language)
    text = request["text"]
    original = request.get("original", "en")
    return Reply.page(
        "bot/alert_text_ask.html",
        ctx.lang,
        ref=request["ref"],
        op=request["op"],
        language=language,
        original=original,
        text=text if isinstance(text, str) else text.get(original, ""),
    )


def got_alert_text(ctx: Ctx, question: dict[str, str]) -> Reply:
    """The text asked for by button_add_language: a new preview with it added."""
    text = cases.check_alert_text(ctx.rest)  # refused: the question stays open for a retry
    awaiting.clear(ctx.user_data)
    try:
        request = confirmations.take(
            ctx.user_data, question["token"], staff.grant_stamp(ctx.session, ctx.user_id), ctx.now
        )
    except KeyError:
        raise ExpiredButton from None
    case = cases.get_case(ctx.session, request["ref"])
    cases.check_active(case)
    given = request["text"]
    texts = {case.language: given} if isinstance(given, str) else dict(given)
    texts[question["language"]] = text
    return alert_confirmation(ctx, case, {**request, "text": texts})


def confirm(ctx: Ctx) -> Reply:
    request = _take_pending(ctx)
    safeguards.check_open(ctx.session, "confirm")
    asked_at = request.get("asked_at")
    if asked_at is None or not safeguards.confirmation_alive(
        ctx.session, datetime.fromisoformat(asked_at)
    ):
        raise ExpiredButton
    ref = request["ref"]
    if request["op"] == "letter_set":
        set_letter(ctx.session, ctx.actor, ref, request["lang"], request["text"], on=ctx.now.date())
        return Reply(
            Reply.page("bot/letter_saved.html", ctx.lang, ref=ref, lang=request["lang"]).html,
            edit=True,
        )
    if request["op"] == "publish":
        alert = cases.publish(ctx.session, ctx.actor, ref, now=ctx.now)
    elif request["op"] in ("update", "renew"):
        renewing = request["op"] == "renew"
        alert = cases.further_information(
            ctx.session, ctx.actor, ref, request["text"], now=ctx.now, renew=renewing
        )
    else:
        alert = cases.close(
            ctx.session, ctx.actor, ref, request["outcome"], request["text"], now=ctx.now
        )
    confirmations.sent(ctx.user_data, request["op"], ref)
    return Reply(
        Reply.page(
            "bot/queued.html", ctx.lang, ref=ref, op=request["op"], recipients=alert.recipients
        ).html,
        edit=True,
    )


def cancel(ctx: Ctx) -> Reply:
    request = _take_pending(ctx)
    return Reply(Reply.page("bot/cancelled.html", ctx.lang, ref=request["ref"]).html, edit=True)


def _take_pending(ctx: Ctx) -> dict[str, Any]:
    if len(ctx.args) != 1:
        raise ExpiredButton
    grant = staff.grant_stamp(ctx.session, ctx.user_id)
    question = awaiting.current(ctx.user_data, ctx.now)
    if question is not None and question.get("token") == ctx.args[0]:
        awaiting.clear(ctx.user_data)  # sent or cancelled as it was: no text awaited now
    try:
        return confirmations.take(ctx.user_data, ctx.args[0], grant, ctx.now)
    except KeyError:
        raise ExpiredButton from None


def drafts(ctx: Ctx) -> Reply:
    """Cases not yet published, each a button that opens it (drafts exist for staff only)."""
    if not ctx.private:
        raise PrivateOnly(action="drafts", role="coordinator")
    views = [case_line(c, ctx.lang) for c in cases.list_cases(ctx.session, statuses=("draft",))]
    return Reply.page(
        "bot/drafts.html", ctx.lang, cases_page_buttons(ctx.lang, views, 0, 1), cases=views
    )


def stats(ctx: Ctx) -> Reply:
    ref = _need(ctx, "stats", 1)[0]
    return Reply.page("bot/stats.html", ctx.lang, stats=actions.case_stats(ctx.session, ref))


def audit_log(ctx: Ctx) -> Reply:
    ref = _need(ctx, "audit", 1)[0]
    ref, events = audit_trail(ctx.session, ctx.actor, ref, private=ctx.private)
    return Reply.page("bot/audit.html", ctx.lang, ref=ref, events=events)


def _user_id(ctx: Ctx, command: str) -> int:
    raw = _need(ctx, command, 1)[0]
    if not raw.isdigit():
        raise Usage(command)
    return int(raw)


def button_outcome(ctx: Ctx) -> Reply:
    """co:REF:OUTCOME: the one-line form that closes the case with that outcome."""
    if len(ctx.args) != 2 or ctx.args[1] not in OUTCOMES:
        raise ExpiredButton
    case = cases.get_case(ctx.session, ctx.args[0], whole=False)
    page = Reply.page("bot/close_form.html", ctx.lang, ref=case.ref, outcome=ctx.args[1])
    return replace(page, edit=True)


def button_role(ctx: Ctx) -> Reply:
    """gr:USER_ID:ROLE: /grant with the role picked from buttons (the same checks)."""
    if len(ctx.args) != 2 or ctx.args[1] not in STAFF_ROLES:
        raise ExpiredButton
    return replace(grant(ctx), edit=True)


def grant(ctx: Ctx) -> Reply:
    safeguards.check_open(ctx.session, "grant")
    user_id = _user_id(ctx, "grant")
    if len(ctx.args) == 1:  # the role from buttons
        buttons = [[(label(ctx.lang, "role", value=r), f"gr:{user_id}:{r}") for r in STAFF_ROLES]]
        return Reply.page("bot/grant_role.html", ctx.lang, buttons, user_id=user_id)
    if len(ctx.args) != 2:
        raise Usage("grant")
    row = staff.grant(ctx.session, ctx.actor, user_id, ctx.args[1].lower())
    reply = Reply.page("bot/granted.html", ctx.lang, user_id=user_id, role=row.role)
    return replace(reply, menu_for=(user_id, row.role))


def revoke(ctx: Ctx) -> Reply:
    safeguards.check_open(ctx.session, "revoke")
    user_id = _user_id(ctx, "revoke")
    removed = staff.revoke(ctx.session, ctx.actor, user_id)
    reply = Reply.page("bot/revoked.html", ctx.lang, user_id=user_id, removed=removed)
    return replace(reply, menu_for=(user_id, None))
