"""Letters for the bot and the CLI: find the case, pick its letters, render them.

For the bot engineer (/letter REF [LANG], the "Get letter" button, the coordinators' zip):

    with sessions.begin() as session:
        langs = service.languages(session, ref)                  # ("kk", "ru", "en")
        lang = service.choose_language(langs, subscriber_lang)   # or the LANG they typed
        letters = service.letters_for(session, ref, lang, signature=subscriber.signature)
    # RenderedLetter holds no ORM object: use it after the transaction.
    for letter in letters:            # one per primary target of the case
        letter.text                   # plain text for the chat (escape it for HTML mode)
        letter.pdf                    # bytes, made on first use; send as a document
        letter.filename("pdf")        # "KZ-2026-001_kk_01_prosecutor-general.pdf"
        letter.mailto                 # a mailto: link, or None: offer the PDF instead
        letter.eml                    # an .eml draft, To the target, Cc the copies

    with sessions.begin() as session:                            # coordinators only
        data = service.export_zip(session, ref)                  # every language and format
        name = service.zip_name(ref)                             # "KZ-2026-001-letters.zip"

    # /letter_set REF LANG, then the text: show the preview, save on confirmation.
    with sessions.begin() as session:
        letter = service.preview(session, ref, lang, body)       # LetterInvalid if it fails
    with sessions.begin() as session:
        bot.domain.letters.set_letter(session, actor, ref, lang, body)

Refusals are DomainErrors; `exc.message(lang)` is the line to show:
    UnknownCase        no such case (or a draft, unless drafts=True: staff previews, exports);
    LetterUnavailable  no letter in that language; exc.params["available"] lists those there are;
    NoTargets          the case has no primary target to write to;
    LetterInvalid      a stored body that no longer renders (e.g. it uses a field a new
                       target leaves empty); the coordinator should set it again.
    LetterTooCostly    a body past a bound on rendering (time, steps, output, memory:
                       bot/letters/bounded.py); refused at preview, so never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain import cases
from bot.domain.letters import (
    PLACEHOLDER_TARGET,
    available_languages,
    check_body,
    check_language,
    letter_body,
)
from bot.domain.views import PublicCase, PublicTarget, public_case
from bot.letters import export
from bot.letters.eml import letter_eml
from bot.letters.errors import LetterUnavailable, NoTargets, UnknownFormat, body_refused
from bot.letters.mailto import mailto_link, one_tap_email
from bot.letters.render import CONTEXT_NAMES, BodyError, Letter, primary_targets, render_letter
from bot.letters.sender import Signer, as_signer
from bot.runtime import in_process
from bot.store.models import Case
from bot.texts import FALLBACKS

FORMATS = ("pdf", "eml", "txt")


@dataclass(frozen=True)
class RenderedLetter:
    letter: Letter
    number: int  # the target's place among the case's primary targets: unique file names

    @property
    def text(self) -> str:
        return self.letter.text

    @property
    def subject(self) -> str:
        return self.letter.subject

    @property
    def lang(self) -> str:
        return self.letter.lang

    @property
    def target(self) -> PublicTarget:
        return self.letter.target

    @cached_property
    def pdf(self) -> bytes:
        # fpdf2 takes a quarter of a second to import: only callers that make a PDF pay it,
        # not every `uabot` command.
        from bot.letters.pdf import letter_pdf

        # Laying a letter out holds the GIL for long stretches: from the bot's blocking
        # pool it goes to a process of its own (bot/runtime.py), so the event loop goes on.
        return in_process(letter_pdf, self.letter)

    @cached_property
    def eml(self) -> bytes:
        return letter_eml(self.letter)

    @cached_property
    def mailto(self) -> str | None:
        return mailto_link(self.letter)

    def one_tap(self, page_url: str | None) -> str | None:
        """The URL of a one-tap e-mail button, or None: offer the .eml (bot/letters/mailto.py)."""
        return one_tap_email(self.letter, page_url)

    def content(self, fmt: str) -> bytes:
        if fmt == "pdf":
            return self.pdf
        if fmt == "eml":
            return self.eml
        if fmt == "txt":
            return self.text.encode("utf-8")
        raise UnknownFormat(value=fmt[:16], formats=(*FORMATS, "all"))

    def filename(self, fmt: str) -> str:
        slug = re.sub(r"\W+", "-", self.target.title.casefold()).strip("-")[:40] or "target"
        return f"{self.letter.ref}_{self.lang}_{self.number:02d}_{slug}.{fmt}"


def parse_formats(value: str) -> tuple[str, ...]:
    """Formats from "pdf", "eml", "txt", "all", or several joined by commas."""
    wanted = [v.strip().lower() for v in value.split(",") if v.strip()]
    if "all" in wanted:
        return FORMATS
    for fmt in wanted or [value]:
        if fmt not in FORMATS:
            raise UnknownFormat(value=fmt[:16], formats=(*FORMATS, "all"))
    return tuple(dict.fromkeys(wanted))


def zip_name(ref: str) -> str:
    return f"{cases.normalise_ref(ref)}-letters.zip"


def _case(session: Session, ref: str, drafts: bool) -> Case:
    return cases.get_case(session, ref) if drafts else cases.visible_case(session, ref)


def languages(session: Session, ref: str, *, drafts: bool = False) -> tuple[str, ...]:
    return available_languages(_case(session, ref, drafts))


def choose_language(available: Iterable[str], preferred: str | None) -> str | None:
    """The preferred language if the case has it, else the nearest (kk → ru → en), else the
    case's first; None when the case has no letters at all."""
    available = tuple(available)
    chain = FALLBACKS.get((preferred or "").lower(), ())
    return next((code for code in chain if code in available), next(iter(available), None))


def letters_for(
    session: Session,
    ref: str,
    lang: str,
    signature: Signer | str | None = None,
    *,
    on: date | None = None,
    drafts: bool = False,
) -> list[RenderedLetter]:
    """One letter per primary target of the case, in `lang`, signed `signature` (or ours)."""
    case = _case(session, ref, drafts)
    return _render(case, public_case(case), [lang], signature, on)


def letters_for_reader(
    session: Session,
    ref: str,
    reader_lang: str | None,
    signature: Signer | str | None = None,
    *,
    on: date | None = None,
    drafts: bool = False,
) -> list[RenderedLetter]:
    """One letter per primary target, each in the language that official prefers
    (Target.language) when the case has a letter in it, else in the reader's (or the
    nearest the case has)."""
    case = _case(session, ref, drafts)
    view = public_case(case)
    available = available_languages(case)
    fallback = choose_language(available, reader_lang)
    targets = primary_targets(view)
    if not targets:
        raise NoTargets(ref=view.ref)
    if fallback is None:
        raise LetterUnavailable(ref=view.ref, language=(reader_lang or "")[:8], available=())
    on = on or datetime.now(ZoneInfo(view.timezone)).date()
    letters = []
    for number, target in enumerate(targets, start=1):
        lang = target.language if target.language in available else fallback
        body = letter_body(case, lang)
        letters.append(RenderedLetter(_letter(view, target, lang, signature, on, body), number))
    return letters


def export_letters(
    session: Session,
    ref: str,
    langs: Iterable[str] = (),
    signature: Signer | str | None = None,
    *,
    on: date | None = None,
    drafts: bool = True,
) -> list[RenderedLetter]:
    """Every primary target × every asked language (none asked: all the case has)."""
    case = _case(session, ref, drafts)
    return _render(case, public_case(case), list(langs) or available_languages(case), signature, on)


def export_zip(
    session: Session,
    ref: str,
    *,
    langs: Iterable[str] = (),
    formats: Iterable[str] = FORMATS,
    signature: Signer | str | None = None,
    drafts: bool = True,
) -> bytes:
    letters = export_letters(session, ref, langs, signature, drafts=drafts)
    return export.zip_bytes(letters, tuple(formats))


def preview(
    session: Session,
    ref: str,
    lang: str,
    body: str,
    signature: str | None = None,
    *,
    on: date | None = None,
) -> RenderedLetter:
    """A coordinator's body as the first target would get it, checked as set_letter checks
    it (LetterInvalid if it does not render) and not saved."""
    view = public_case(cases.get_case(session, ref))
    on = on or datetime.now(ZoneInfo(view.timezone)).date()
    lang = check_language(lang)
    check_body(view, lang, body.strip(), on)
    target = next(iter(primary_targets(view)), PLACEHOLDER_TARGET)
    return RenderedLetter(_letter(view, target, lang, signature, on, body.strip()), 1)


def _render(
    case: Case,
    view: PublicCase,
    langs: Iterable[str],
    signature: Signer | str | None,
    on: date | None,
) -> list[RenderedLetter]:
    targets = primary_targets(view)
    if not targets:
        raise NoTargets(ref=view.ref)
    available = available_languages(case)
    on = on or datetime.now(ZoneInfo(view.timezone)).date()
    letters = []
    for lang in dict.fromkeys(code.strip().lower() for code in langs):
        if lang not in available:
            raise LetterUnavailable(ref=view.ref, language=lang[:8], available=available)
        body = letter_body(case, lang)
        for number, target in enumerate(targets, start=1):
            letters.append(RenderedLetter(_letter(view, target, lang, signature, on, body), number))
    return letters


def _letter(
    view: PublicCase,
    target: PublicTarget,
    lang: str,
    signature: Signer | str | None,
    on: date,
    body: str | None,
) -> Letter:
    # The sender block, one part a line, until the letter templates lay a Signer out
    # themselves; no one named: the templates' own ending.
    block = "\n".join(as_signer(signature).lines()) or None
    try:
        return render_letter(view, target, lang, on=on, signature=block, body=body)
    except BodyError as exc:
        raise body_refused(view.ref, lang, exc, CONTEXT_NAMES) from None
