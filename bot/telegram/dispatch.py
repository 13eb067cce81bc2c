"""The one path every command and button takes: parse, open a transaction, call the domain,
turn the outcome into replies, send them after the commit.

Handlers are plain functions `(Ctx) -> Reply | list[Reply]`; they never touch Telegram.
A refusal (NotAllowed) is audited in its own transaction, since the command's is rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot import metrics
from bot.domain import audit, subscriptions
from bot.domain.errors import DomainError, NotAllowed
from bot.domain.reveal import PrivateOnly
from bot.domain.staff import Actor, actor_for, require
from bot.runtime import off_loop as _off_loop
from bot.telegram import awaiting, expiry, flood
from bot.telegram.commands import set_staff_menu
from bot.telegram.context import Context, Services, services_of
from bot.telegram.reply import Reply, split
from bot.texts import normalise_language, render

log = logging.getLogger("uabot.telegram")


@dataclass
class Ctx:
    session: Session
    actor: Actor
    user_id: int
    chat_id: int
    private: bool
    lang: str
    args: list[str]
    rest: str
    now: datetime
    user_data: dict[str, Any] = field(default_factory=dict)
    tz: str | None = None  # the reader's time zone, when they are a subscriber


class Usage(Exception):
    """Wrong or missing arguments: answered with the command's usage template."""

    def __init__(self, command: str, problem: str | None = None) -> None:
        super().__init__(command)
        self.command = command
        self.problem = problem

    def reply(self, lang: str) -> Reply:
        return Reply.page(f"usage/{self.command}.html", lang, problem=self.problem)


class ExpiredButton(Exception):
    """Callback data from an old message, or crafted by hand."""


class ReplyLost(Exception):
    """The handler ran and its transaction committed; sending its reply failed. The error
    handler must not say "nothing was changed", and the person is told at the next chance."""


# In user_data while a person may not know that their last command was carried out.
REPLY_LOST = "reply_lost"


Handler = Callable[[Ctx], Reply | Sequence[Reply] | None]
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


def user_data_of(context: Context) -> dict[str, Any]:
    return context.user_data if context.user_data is not None else {}


def _reader(session: Session, chat_id: int, fallback: str | None) -> tuple[str, str | None]:
    """The chat's language and time zone: the subscriber's own, else the user's client's."""
    subscriber = subscriptions.get_subscriber(session, chat_id)
    if subscriber is None:
        return normalise_language(fallback), None
    return subscriber.language, subscriber.timezone


def clean_text(text: str) -> str:
    """What a person typed, minus what no column can store: NUL (PostgreSQL refuses it in
    text) and lone surrogates (not UTF-8 at all). Telegram's clients send neither; a
    crafted update may."""
    if "\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return "".join(ch for ch in text if ch != "\x00" and not "\ud800" <= ch <= "\udfff")


def run_handler(
    services: Services,
    update: Update,
    context: Context,
    name: str,
    role: str | None,
    fn: Handler,
    args: list[str],
    rest: str,
) -> list[Reply]:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:  # channel posts and the like: nothing to answer
        return []
    args, rest = [clean_text(a) for a in args], clean_text(rest)
    lang = normalise_language(user.language_code)
    in_group = chat.type != "private"
    try:
        with services.sessions.begin() as session:
            lang, tz = _reader(session, chat.id, user.language_code)
            actor, demoted = _actor_in(session, user.id, in_group, name, role)
            ctx = Ctx(
                session,
                actor,
                user.id,
                chat.id,
                chat.type == "private",
                lang,
                args,
                rest,
                services.clock(),
                user_data_of(context),
                tz,
            )
            if role:
                require(ctx.actor, role, name)
            if name != "text":  # a question the person moved on from is not answered later
                awaiting.clear(ctx.user_data)
            result = fn(ctx)
    except NotAllowed as exc:
        _audit_refusal(services, user.id, name, args)
        metrics.refused(name)
        return [Reply.plain(exc.message(lang))]
    except DomainError as exc:
        return [Reply.plain(exc.message(lang))]
    except Usage as exc:
        return [exc.reply(lang)]
    except ExpiredButton:
        return [Reply(render("bot/expired.html", lang), toast=render("bot/expired.txt", lang))]
    replies = [] if result is None else [result] if isinstance(result, Reply) else list(result)
    if ctx.user_data.pop(REPLY_LOST, False):
        replies.insert(0, Reply.page("bot/reply_lost.html", lang))
    return _with_hint(replies, lang) if demoted and replies else replies


def _actor_in(
    session: Session, user_id: int, in_group: bool, name: str, role: str | None
) -> tuple[Actor, bool]:
    """In a group, staff see only what a subscriber sees there (no drafts, sources, figures
    or draft letters), and a staff command is refused there as a reveal is: what it shows
    is for a private chat."""
    actor = actor_for(session, user_id)
    if not in_group or not actor.is_staff:
        return actor, False
    if role is not None:
        raise PrivateOnly(action=name, role=role)
    return Actor(user_id=user_id, role=None), True


def _with_hint(replies: list[Reply], lang: str) -> list[Reply]:
    """The hint to use a private chat, added to the first text reply (one message more
    would be one more for the whole group to read)."""
    hint = render("bot/group_hint.html", lang)
    for i, reply in enumerate(replies):
        if reply.document is None and reply.html and reply.to_chat is None:
            replies[i] = replace(reply, html=f"{reply.html}\n\n{hint}")
            return replies
    return [*replies, Reply(hint)]


def _audit_refusal(services: Services, user_id: int, name: str, args: list[str]) -> None:
    # Only the command and a reference-looking first argument: never free text.
    ref = args[0][:32].upper() if args and "-" in args[0] else None
    with services.sessions.begin() as session:
        audit.record(session, Actor(user_id), f"refused.{name}", case_ref=ref, allowed=False)


async def send(
    message: Message,
    replies: Sequence[Reply],
    user_data: dict[str, Any],
    services: Services | None = None,
) -> None:
    """Send a handler's replies, after its commit: a failure here is a ReplyLost.
    `services`: where a reply that expires is remembered (bot/telegram/expiry.py)."""
    try:
        await _send(message, replies, services)
    except TelegramError as exc:
        user_data[REPLY_LOST] = True
        raise ReplyLost() from exc


async def _send(message: Message, replies: Sequence[Reply], services: Services | None) -> None:
    if any(reply.delete_asked for reply in replies):
        await _delete_quietly(message)
    for reply in replies:
        if reply.menu_for is not None:
            await set_staff_menu(message.get_bot(), *reply.menu_for)
        if reply.to_chat is not None:
            await _tell(message, reply)
            continue
        if reply.document is not None:
            name, data = reply.document
            await message.reply_document(
                document=data, filename=name, protect_content=reply.protect or None
            )
            continue
        chunks = split(reply.html)
        for i, chunk in enumerate(chunks):
            markup = reply.markup() if i == len(chunks) - 1 else None
            if reply.edit and len(chunks) == 1:
                await _edit(message, chunk, markup)
                continue
            sent = await message.reply_text(
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                protect_content=reply.protect or None,
            )
            if reply.expires_at is not None and services is not None:
                expiry.remember(services.sessions, sent, reply.expires_at)


async def _tell(message: Message, reply: Reply) -> None:
    """An alert to another chat (an admin's): one that cannot be told is logged, and the
    asker's own answer still goes out."""
    if reply.to_chat is None:
        return
    try:
        await message.get_bot().send_message(reply.to_chat, reply.html, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.warning("an alert to another chat failed: %s", type(exc).__name__)


async def _delete_quietly(message: Message) -> None:
    try:
        await message.delete()
    except TelegramError as exc:
        log.warning("deleting the asking message failed: %s", type(exc).__name__)


async def _edit(message: Message, html: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        # A press that changes nothing (the last page pressed again, a double press): what
        # the person sees is already right, and Telegram says so with a 400.
        if "not modified" not in exc.message:
            raise


async def run_off_loop(
    services: Services,
    update: Update,
    context: Context,
    name: str,
    role: str | None,
    fn: Handler,
    args: list[str],
    rest: str,
) -> list[Reply]:
    """run_handler in a worker thread: for handlers that may wait (a coordinator's letter
    body rendering within its bounds, bot/letters/bounded.py) while the loop goes on."""
    return await _off_loop(run_handler, services, update, context, name, role, fn, args, rest)


def command(
    name: str, *, role: str | None = None, whole: bool = False
) -> Callable[[Handler], Callback]:
    """Wire a handler to a /command: arguments split on whitespace, `rest` is the raw tail
    (`whole`: the whole message, for plain text that answers a question the bot asked).
    Every handler runs off the event loop, in the bounded pool (run_off_loop, bot/runtime.py)."""

    def decorate(fn: Handler) -> Callback:
        async def callback(update: Update, context: Context) -> None:
            message = update.effective_message
            if message is None or update.effective_user is None:
                return
            if not await flood.admit(update, context):
                return
            with metrics.REPLY.time():
                text = message.text or ""
                parts = text.split(maxsplit=1)
                rest = parts[1].strip() if len(parts) > 1 else ""
                if whole:
                    rest = text.strip()
                call = (services_of(context), update, context, name, role, fn, rest.split(), rest)
                replies = await run_off_loop(*call)
                await send(message, replies, user_data_of(context), services_of(context))
            if any(reply.sweep_now for reply in replies):
                await expiry.sweep(context.application)

        callback.__name__ = f"cmd_{name}"
        return callback

    return decorate
