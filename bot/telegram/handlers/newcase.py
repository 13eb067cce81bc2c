"""/newcase: a guided conversation that saves a draft case.

title → country → summary → people at risk → targets → deadline → appeal languages →
preview → save. Bad answers are re-asked with an explanation; /cancel ends it at any step.
Only plain values live in user_data until the save, which is one transaction.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.domain import cases
from bot.domain.cases import PersonInput, TargetInput
from bot.domain.errors import DeadlineInPast
from bot.domain.timeutil import parse_local_deadline
from bot.domain.vocab import country_timezone, normalise_country
from bot.languages import LANGUAGES
from bot.runtime import off_loop
from bot.store.models import PERSON_STATUSES, TARGET_ROLES
from bot.telegram.context import Context
from bot.telegram.dispatch import (
    Ctx,
    Usage,
    clean_text,
    run_handler,
    send,
    services_of,
    user_data_of,
)
from bot.telegram.reply import Reply

TITLE, COUNTRY, SUMMARY, PEOPLE, TARGETS, DEADLINE, LANGS, PREVIEW = range(8)
DRAFT = "newcase"
DONE_WORDS = {"done", "/done", "готово", "дайын"}

Step = Callable[[Ctx], tuple[Reply, int]]


class Reask(Exception):
    """The answer does not fit this step: explain and ask again."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _ask(ctx: Ctx, state: int, problem: str | None = None) -> tuple[Reply, int]:
    return Reply.page(
        "newcase/ask.html",
        ctx.lang,
        step=state,
        problem=problem,
        draft=ctx.user_data.get(DRAFT, {}),
    ), state


def _draft(ctx: Ctx) -> dict[str, Any]:
    return ctx.user_data.setdefault(DRAFT, {"people": [], "targets": []})


def begin(ctx: Ctx) -> tuple[Reply, int]:
    ctx.user_data[DRAFT] = {"people": [], "targets": []}
    return _ask(ctx, TITLE)


def got_title(ctx: Ctx) -> tuple[Reply, int]:
    title = ctx.rest.strip()
    if not 3 <= len(title) <= 200:
        raise Reask("title")
    _draft(ctx)["title"] = title
    return _ask(ctx, COUNTRY)


def got_country(ctx: Ctx) -> tuple[Reply, int]:
    country = normalise_country(ctx.rest)
    if country is None:
        raise Reask("country")
    _draft(ctx)["country"] = country
    return _ask(ctx, SUMMARY)


def got_summary(ctx: Ctx) -> tuple[Reply, int]:
    summary = ctx.rest.strip()
    if not 10 <= len(summary) <= 3000:
        raise Reask("summary")
    _draft(ctx)["summary"] = summary
    return _ask(ctx, PEOPLE)


def got_person(ctx: Ctx) -> tuple[Reply, int]:
    draft = _draft(ctx)
    text = ctx.rest.strip()
    if text.lower() in DONE_WORDS:
        if not draft["people"]:
            raise Reask("people_none")
        return _ask(ctx, TARGETS)
    status, _, name = text.partition(" ")
    if status.lower() not in PERSON_STATUSES or not 1 <= len(name.strip()) <= 200:
        raise Reask("person")
    draft["people"].append({"status": status.lower(), "name": name.strip()})
    return _ask(ctx, PEOPLE)


def got_target(ctx: Ctx) -> tuple[Reply, int]:
    draft = _draft(ctx)
    text = ctx.rest.strip()
    if text.lower() in DONE_WORDS:
        if not draft["targets"]:
            raise Reask("targets_none")
        return _ask(ctx, DEADLINE)
    fields = [f.strip() for f in text.split(";")]
    if len(fields) < 3 or fields[0].lower() not in TARGET_ROLES or not all(fields[1:3]):
        raise Reask("target")
    email = fields[3] if len(fields) > 3 and fields[3] else None
    if email is not None and "@" not in email:
        raise Reask("target")
    draft["targets"].append(
        {"role": fields[0].lower(), "title": fields[1], "name": fields[2], "email": email}
    )
    return _ask(ctx, TARGETS)


def got_deadline(ctx: Ctx) -> tuple[Reply, int]:
    parts = ctx.rest.split()
    if not 1 <= len(parts) <= 2:
        raise Reask("deadline")
    tz = country_timezone(_draft(ctx)["country"])
    when = parse_local_deadline(parts[0], parts[1] if len(parts) > 1 else None, tz)
    if when <= ctx.now:
        raise DeadlineInPast()
    _draft(ctx)["deadline"] = when.isoformat()
    return _ask(ctx, LANGS)


def got_languages(ctx: Ctx) -> tuple[Reply, int]:
    codes = [c.lower() for c in ctx.rest.replace(",", " ").split()]
    if not codes or any(c not in LANGUAGES for c in codes):
        raise Reask("languages")
    _draft(ctx)["languages"] = codes
    return Reply.page(
        "newcase/preview.html",
        ctx.lang,
        [
            [
                (Reply.page("buttons.txt", ctx.lang, name="save").html, "newcase:save"),
                (Reply.page("buttons.txt", ctx.lang, name="cancel").html, "newcase:cancel"),
            ]
        ],
        draft=_draft(ctx),
    ), PREVIEW


def save(ctx: Ctx) -> tuple[Reply, int]:
    from datetime import datetime

    draft = ctx.user_data.pop(DRAFT, None)
    if not draft or "languages" not in draft:
        raise Usage("newcase")
    case = cases.create_case(
        ctx.session,
        ctx.actor,
        title=draft["title"],
        country=draft["country"],
        summary=draft["summary"],
        languages=draft["languages"],
        deadline=datetime.fromisoformat(draft["deadline"]),
        now=ctx.now,
    )
    for person in draft["people"]:
        cases.add_person(ctx.session, ctx.actor, case.ref, PersonInput(**person))
    for target in draft["targets"]:
        cases.add_target(
            ctx.session,
            ctx.actor,
            case.ref,
            TargetInput(country=case.country, salutation=target["title"], **target),
        )
    return Reply(
        Reply.page("newcase/saved.html", ctx.lang, ref=case.ref).html, edit=True
    ), ConversationHandler.END


def cancel(ctx: Ctx) -> tuple[Reply, int]:
    ctx.user_data.pop(DRAFT, None)
    return Reply.page("newcase/cancelled.html", ctx.lang), ConversationHandler.END


def _step(fn: Step, state: int | None):
    """Run a step through the dispatcher; a Reask or domain error keeps the current state."""

    async def callback(update: Update, context: Context) -> int | None:
        message = update.effective_message
        if message is None:
            return None
        if update.callback_query is not None:
            await update.callback_query.answer()
        outcome: dict[str, int] = {}

        def handler(ctx: Ctx) -> Reply:
            if update.callback_query is None:
                ctx.rest = clean_text(message.text or "")
            try:
                reply, outcome["state"] = fn(ctx)
            except Reask as exc:
                reply, _ = _ask(ctx, state if state is not None else TITLE, exc.problem)
            return reply

        replies = await off_loop(
            run_handler,
            services_of(context),
            update,
            context,
            "newcase",
            "coordinator",
            handler,
            [],
            "",
        )
        await send(message, replies, user_data_of(context))
        return outcome.get("state")

    return callback


def build_conversation() -> ConversationHandler[Context]:
    text = filters.TEXT & ~filters.COMMAND
    done = filters.Regex(r"^/done\b")
    states: dict[object, list[BaseHandler[Update, Context, Any]]] = {
        TITLE: [MessageHandler(text, _step(got_title, TITLE))],
        COUNTRY: [MessageHandler(text, _step(got_country, COUNTRY))],
        SUMMARY: [MessageHandler(text, _step(got_summary, SUMMARY))],
        PEOPLE: [MessageHandler(text | done, _step(got_person, PEOPLE))],
        TARGETS: [MessageHandler(text | done, _step(got_target, TARGETS))],
        DEADLINE: [MessageHandler(text, _step(got_deadline, DEADLINE))],
        LANGS: [MessageHandler(text, _step(got_languages, LANGS))],
        PREVIEW: [
            CallbackQueryHandler(_step(save, PREVIEW), pattern=r"^newcase:save$"),
            CallbackQueryHandler(_step(cancel, PREVIEW), pattern=r"^newcase:cancel$"),
        ],
    }
    with warnings.catch_warnings():
        # PTB warns that button presses are tracked per chat, not per message: that is
        # what we want, one draft per coordinator and chat.
        warnings.filterwarnings("ignore", category=PTBUserWarning)
        return _conversation(states)


def _conversation(
    states: dict[object, list[BaseHandler[Update, Context, Any]]],
) -> ConversationHandler[Context]:
    return ConversationHandler(
        entry_points=[CommandHandler("newcase", _step(begin, None))],
        states=states,
        fallbacks=[CommandHandler("cancel", _step(cancel, None))],
        name="newcase",
        conversation_timeout=3600,
    )
