"""/letter, the "Get letter" button, /letter_set (preview, then confirm) and /letters_zip."""

from __future__ import annotations

from urllib.parse import quote

from bot.config import get_settings
from bot.domain import actions, cases, safeguards, subscriptions
from bot.domain.views import PublicCase, PublicTarget, public_case
from bot.languages import LANGUAGES
from bot.letters import service
from bot.letters.errors import LetterUnavailable
from bot.letters.sender import NOBODY, Signer
from bot.store.models import Case, Subscriber
from bot.telegram import awaiting
from bot.telegram.dispatch import Ctx, ExpiredButton, Usage
from bot.telegram.handlers.coordinator import ask_confirmation
from bot.telegram.keyboards import Button, label
from bot.telegram.reply import Reply
from bot.texts import render

# Where the ready social-media text is posted with one tap (X's share intent: https, so a
# Telegram URL button may open it); the text is shown too, to copy for any other network.
SHARE_URL = "https://x.com/intent/tweet?text="


def letter(ctx: Ctx) -> list[Reply]:
    if not 1 <= len(ctx.args) <= 2:
        raise Usage("letter")
    return _letters(ctx, ctx.args[0], ctx.args[1].lower() if len(ctx.args) == 2 else None)


def button_letter(ctx: Ctx) -> list[Reply]:
    """letter:REF, or letter:REF:LANG (the letter again, in the reader's language)."""
    if not 1 <= len(ctx.args) <= 2 or not cases.REF_PATTERN.match(ctx.args[0]):
        raise ExpiredButton
    if len(ctx.args) == 2 and ctx.args[1] not in LANGUAGES:
        raise ExpiredButton
    return _letters(ctx, ctx.args[0], ctx.args[1] if len(ctx.args) == 2 else None)


def signer_of(subscriber: Subscriber | None) -> Signer:
    if subscriber is None:
        return NOBODY
    return Signer.of(subscriber.signature, subscriber.sender_town, subscriber.sender_email)


def _letters(ctx: Ctx, ref: str, asked: str | None) -> list[Reply]:
    """Per primary target: the text (with its one-tap buttons), the PDF, and the .eml when
    the one-tap e-mail cannot hold the letter; then the calls to act. A closed case gets its
    outcome instead: no appeal is served for an action that has ended."""
    staff = ctx.actor.is_staff
    case = cases.get_case(ctx.session, ref) if staff else cases.visible_case(ctx.session, ref)
    if case.status == "closed":
        return [_outcome(ctx, case)]
    if not staff:
        actions.open_for_action(ctx.session, ref)
    signer = signer_of(subscriptions.get_subscriber(ctx.session, ctx.chat_id))
    available = service.languages(ctx.session, ref, drafts=staff)
    if asked is None:
        letters = service.letters_for_reader(ctx.session, ref, ctx.lang, signer, drafts=staff)
    else:
        if asked not in available:
            raise LetterUnavailable(ref=case.ref, language=asked[:8], available=available)
        letters = service.letters_for(ctx.session, ref, asked, signer, drafts=staff)
    views = {lang: public_case(case, lang) for lang in {r.lang for r in letters}}
    # the officials named in the reader's words
    reader = views.get(ctx.lang) or public_case(case, ctx.lang)
    page_url = get_settings().MAIL_PAGE_URL
    replies: list[Reply] = []
    for rendered in letters:
        has_preferred = rendered.target.language in available
        title = _title_for(reader, rendered.target)
        replies.extend(
            _one_letter(ctx, rendered, views[rendered.lang], page_url, has_preferred, title)
        )
    offer = _other_language(ctx, letters, asked, available)
    replies.append(_closing(ctx, case, letters, signer, offer, views, explain=asked is None))
    return replies


def _title_for(reader: PublicCase, target: PublicTarget) -> str:
    """The target's title in the reader's language (the letter may be in another one)."""
    same = (target.key, target.email, target.role, target.country)
    return next(
        (t.title for t in reader.targets if (t.key, t.email, t.role, t.country) == same),
        target.title,
    )


def _other_language(
    ctx: Ctx, letters: list[service.RenderedLetter], asked: str | None, available: tuple[str, ...]
) -> str | None:
    """The language the last message offers the letter in: the reader's own when the letters
    went in the officials' languages; the officials' when the reader asked for another."""
    given = {r.lang for r in letters}
    wanted = [ctx.lang] if asked is None else [r.target.language for r in letters]
    return next((code for code in wanted if code in available and code not in given), None)


def _outcome(ctx: Ctx, case: Case) -> Reply:
    view = public_case(case, ctx.lang)
    return Reply.page("alerts/closed.html", ctx.lang, case=view, text=view.closing_text or "")


def social_text(view: PublicCase, handle: str | None, lang: str) -> str:
    """A short post for social media in the letter's language, naming the official."""
    return render("bot/social.txt", lang, case=view, handle=handle or "").strip()


def _one_letter(
    ctx: Ctx,
    rendered: service.RenderedLetter,
    view: PublicCase,
    page_url: str | None,
    has_preferred: bool,
    title: str,
) -> list[Reply]:
    target = rendered.target
    one_tap = rendered.one_tap(page_url)
    social = social_text(view, target.handle, rendered.lang) if target.handle else None
    buttons: list[list[Button]] = []
    if one_tap:
        buttons.append([(label(ctx.lang, "email", value=target.email), one_tap)])
    if target.web_form and target.web_form.startswith(("https://", "http://")):
        buttons.append([(label(ctx.lang, "web_form"), target.web_form)])
    if social:
        buttons.append(
            [(label(ctx.lang, "social", value=target.handle), SHARE_URL + quote(social))]
        )
    page = Reply.page(
        "bot/letter.html",
        ctx.lang,
        buttons,
        title=title,
        lang=rendered.lang,
        preferred=target.language,
        has_preferred=has_preferred,
        text=rendered.text,
        email=target.email,
        one_tap=bool(one_tap),
        too_long=bool(page_url) and not one_tap,  # the page is there, the letter does not fit
        social=social,
    )
    replies = [page, Reply("", document=(rendered.filename("pdf"), rendered.pdf))]
    if target.email and not one_tap:  # too long for a mailto: link: the draft to open
        replies.append(Reply("", document=(rendered.filename("eml"), rendered.eml)))
    return replies


def _closing(
    ctx: Ctx,
    case: Case,
    letters: list[service.RenderedLetter],
    signer: Signer,
    offer: str | None,
    views: dict[str, PublicCase],
    *,
    explain: bool,
) -> Reply:
    """The calls after the letters: sign with your name, the letter in another language, a
    social post when no official has a handle, and "I took action"."""
    buttons: list[list[Button]] = []
    if not signer.named:
        buttons.append([(label(ctx.lang, "sign"), "sign:name")])
    if offer:
        buttons.append([(label(ctx.lang, "letter_in", value=offer), f"letter:{case.ref}:{offer}")])
    social = None
    if not any(r.target.handle for r in letters):
        lang = letters[0].lang
        social = social_text(views[lang], None, lang)
        buttons.append([(label(ctx.lang, "social", value=""), SHARE_URL + quote(social))])
    buttons.append([(label(ctx.lang, "acted"), f"acted:{case.ref}")])
    own = offer if explain else None  # "the letters above are in the officials' languages"
    return Reply.page(
        "bot/letter_end.html",
        ctx.lang,
        buttons,
        ref=case.ref,
        named=signer.named,
        signer=signer,
        own=own,
        social=social,
    )


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
    """`/letters_zip REF` asks who signs the exported letters; `/letters_zip REF NAME` (a
    contact line on the next line, optional) exports them signed by that organisation."""
    head, _, contact = ctx.rest.partition("\n")
    args = head.split(maxsplit=1)
    if not args:
        raise Usage("letters_zip")
    safeguards.check_open(ctx.session, "letters_zip")  # a lockdown stops the question too
    case = cases.get_case(ctx.session, args[0])
    if len(args) == 1:
        awaiting.ask(ctx.user_data, "zip", ctx.now, ref=case.ref)
        return Reply.page(
            "bot/letters_zip_ask.html",
            ctx.lang,
            [[(label(ctx.lang, "unsigned"), f"zip:{case.ref}")]],
            ref=case.ref,
        )
    return _zip(ctx, case.ref, Signer.of(org=args[1], contact=contact))


def button_zip(ctx: Ctx) -> Reply:
    """zip:REF: the export with no organisation named (each letter a line to sign)."""
    if len(ctx.args) != 1 or not cases.REF_PATTERN.match(ctx.args[0]):
        raise ExpiredButton
    return _zip(ctx, ctx.args[0], NOBODY)


def zip_signed_by(ctx: Ctx, ref: str) -> Reply:
    """The message after /letters_zip REF: the organisation's name, its contact line below."""
    name, _, contact = ctx.rest.strip().partition("\n")
    if not name.strip():
        raise Usage("letters_zip")
    return _zip(ctx, ref, Signer.of(org=name[:200], contact=contact[:300]))


def _zip(ctx: Ctx, ref: str, signer: Signer) -> Reply:
    awaiting.clear(ctx.user_data)
    safeguards.check_open(ctx.session, "letters_zip")
    case = cases.get_case(ctx.session, ref)
    data = service.export_zip(ctx.session, case.ref, signer=signer)
    return Reply("", document=(f"{case.ref}-letters.zip", data))
