"""/letter, the "Get letter" button, /letter_set (preview, then confirm) and /letters_zip."""

from __future__ import annotations

from bot.domain import actions, cases, safeguards, subscriptions
from bot.languages import LANGUAGES
from bot.letters import service
from bot.letters.errors import LetterUnavailable
from bot.telegram.dispatch import Ctx, ExpiredButton, Usage
from bot.telegram.handlers.coordinator import ask_confirmation
from bot.telegram.reply import Reply


def letter(ctx: Ctx) -> list[Reply]:
    if not 1 <= len(ctx.args) <= 2:
        raise Usage("letter")
    return _letters(ctx, ctx.args[0], ctx.args[1].lower() if len(ctx.args) == 2 else None)


def button_letter(ctx: Ctx) -> list[Reply]:
    if len(ctx.args) != 1 or not cases.REF_PATTERN.match(ctx.args[0]):
        raise ExpiredButton
    return _letters(ctx, ctx.args[0], None)


def _letters(ctx: Ctx, ref: str, asked: str | None) -> list[Reply]:
    """The text of each letter, then its PDF; a language the case lacks lists those it has."""
    staff = ctx.actor.is_staff
    if not staff:  # a supporter is not handed an appeal for an action that has ended
        actions.open_for_action(ctx.session, ref)
    available = service.languages(ctx.session, ref, drafts=staff)
    lang = asked or service.choose_language(available, ctx.lang)
    if lang is None:
        raise LetterUnavailable(ref=ref.upper(), language=ctx.lang, available=available)
    subscriber = subscriptions.get_subscriber(ctx.session, ctx.chat_id)
    signature = subscriber.signature if subscriber else None
    replies: list[Reply] = []
    for rendered in service.letters_for(ctx.session, ref, lang, signature, drafts=staff):
        replies.append(
            Reply.page(
                "bot/letter.html",
                ctx.lang,
                title=rendered.target.title,
                lang=lang,
                text=rendered.text,
            )
        )
        replies.append(Reply("", document=(rendered.filename("pdf"), rendered.pdf)))
    return replies


def letter_set(ctx: Ctx) -> Reply:
    """`/letter_set REF LANG` on the first line, the letter's body on the lines after it."""
    head, _, body = ctx.rest.partition("\n")
    args = head.split()
    if len(args) != 2 or args[1].lower() not in LANGUAGES or not body.strip():
        raise Usage("letter_set")
    case = cases.get_case(ctx.session, args[0])
    # preview checks the body as set_letter will (LetterInvalid, a DomainError, if it does
    # not render), so a body that cannot render is explained instead of raising.
    sample = service.preview(ctx.session, case.ref, args[1], body, on=ctx.now.date()).text
    request = {"op": "letter_set", "ref": case.ref, "lang": args[1].lower(), "text": body.strip()}
    return ask_confirmation(
        ctx, request, Reply.page("bot/letter_preview.html", ctx.lang, text=sample).html
    )


def letters_zip(ctx: Ctx) -> Reply:
    if len(ctx.args) != 1:
        raise Usage("letters_zip")
    safeguards.check_open(ctx.session, "letters_zip")
    case = cases.get_case(ctx.session, ctx.args[0])
    return Reply(
        "", document=(f"{case.ref}-letters.zip", service.export_zip(ctx.session, case.ref))
    )
