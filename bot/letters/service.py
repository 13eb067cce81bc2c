"""Letters for the bot and the CLI: find the case, pick its letters, render them.

For the bot engineer (/letter REF [LANG], the "Get letter" button, the coordinators' zip):

    with sessions.begin() as session:
        langs = service.languages(session, ref)                  # ("kk", "ru", "en")
        lang = service.choose_language(langs, subscriber_lang)   # or the LANG they typed
        signer = Signer.of(subscriber.signature, subscriber.sender_town, subscriber.sender_email)
        letters = service.letters_for(session, ref, lang, signer)   # ActionEnded if closed
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
    ActionEnded        the case is closed: no appeal is served for an action that has ended
                       (letters_for and the exports alike);
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
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain import cases
from bot.domain.errors import ActionEnded
from bot.domain.letters import (
    PLACEHOLDER_TARGET,
    available_languages,
    check_body,
    check_language,
    letter_body,
)
from bot.domain.translations import Path, current
from bot.domain.views import PublicCase, PublicPerson, PublicTarget, public_case
from bot.letters import export
from bot.letters.eml import letter_eml
from bot.letters.errors import LetterUnavailable, NoTargets, UnknownFormat, body_refused
from bot.letters.mailto import mailto_link, one_tap_email
from bot.letters.render import CONTEXT_NAMES, BodyError, Letter, primary_targets, render_letter
from bot.letters.sender import Signer, as_signer
from bot.runtime import in_process
from bot.store.models import Case, CaseTarget
from bot.texts import FALLBACKS

FORMATS = ("pdf", "eml", "txt")
# A target's texts that are forms of one language (a salutation, a name in the dative, asks
# worded for this letter): never taken from another language, where the nearest language
# would do for a title or an institution.
OWN_LANGUAGE_TARGET_FIELDS = ("salutation", "polite_name", "addressee", "asks")


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

    @property
    def note(self) -> str:
        """For the supporter, beside the letter: "You may also write in your own language"."""
        return self.letter.note

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
        # the target's key when it has one: the same ASCII name in every language
        name = self.target.key or self.target.title
        slug = re.sub(r"\W+", "-", name.casefold()).strip("-")[:40] or "target"
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
    signer: Signer | str | None = None,
    *,
    on: date | None = None,
    drafts: bool = False,
) -> list[RenderedLetter]:
    """One letter per primary target of the case, in `lang`, signed by `signer` (a Signer,
    or a bare name; None: lines to sign by hand). ActionEnded for a closed case."""
    case = _open_case(session, ref, drafts)
    return _render(case, [lang], as_signer(signer), on)


def letters_for_reader(
    session: Session,
    ref: str,
    reader_lang: str | None,
    signer: Signer | str | None = None,
    *,
    on: date | None = None,
    drafts: bool = False,
) -> list[RenderedLetter]:
    """One letter per primary target, each in the language that official prefers
    (Target.language) when the case has a letter in it, else in the reader's (or the
    nearest the case has). ActionEnded for a closed case."""
    case = _open_case(session, ref, drafts)
    available = available_languages(case)
    fallback = choose_language(available, reader_lang)
    if fallback is None:
        raise LetterUnavailable(ref=case.ref, language=(reader_lang or "")[:8], available=())
    on = on or datetime.now(ZoneInfo(case.timezone)).date()
    views: dict[str, PublicCase] = {}
    letters = []
    for number, link in enumerate(_primary_links(case), start=1):
        lang = link.target.language if link.target.language in available else fallback
        if lang not in views:
            views[lang] = letter_view(case, lang)
        view = views[lang]
        target = primary_targets(view)[number - 1]
        body = letter_body(case, lang)
        letter = _letter(view, target, lang, as_signer(signer), on, body)
        letters.append(RenderedLetter(letter, number))
    if not letters:
        raise NoTargets(ref=case.ref)
    return letters


def _primary_links(case: Case) -> list[CaseTarget]:
    """The case's primary targets, in the order its views (and primary_targets) list them."""
    return [link for link in case.case_targets if link.role == "primary"]


def export_letters(
    session: Session,
    ref: str,
    langs: Iterable[str] = (),
    signer: Signer | str | None = None,
    *,
    on: date | None = None,
    drafts: bool = True,
) -> list[RenderedLetter]:
    """Every primary target × every asked language (none asked: all the case has), signed
    by `signer` (an NGO: Signer(org=..., contact=...))."""
    case = _open_case(session, ref, drafts)
    return _render(case, list(langs) or available_languages(case), as_signer(signer), on)


def _open_case(session: Session, ref: str, drafts: bool) -> Case:
    case = _case(session, ref, drafts)
    if case.status == "closed":  # an appeal for an action that has ended helps nobody
        raise ActionEnded(ref=case.ref)
    return case


def letter_view(case: Case, lang: str) -> PublicCase:
    """The case as a letter in `lang` uses it: every text in that language, or the nearest
    (bot/domain/views.py), except a target's forms and asks and the people's occupations,
    which are blank unless written in `lang` itself, so the letter's defaults step in."""
    view = public_case(case, lang)
    positions = [link.position for link in case.case_targets]
    targets = tuple(
        replace(
            target,
            **{
                field: _exactly(case, Path("target", field, position), lang)
                for field in OWN_LANGUAGE_TARGET_FIELDS
            },
        )
        for target, position in zip(view.targets, positions, strict=True)
    )
    people = tuple(_own_occupation(case, person, lang) for person in view.people)
    asks = _exactly(case, Path("case", "asks"), lang)
    return replace(view, targets=targets, people=people, asks=asks)


def _exactly(case: Case, path: Path, lang: str) -> str:
    return current(case, path, lang) or ""


def _own_occupation(case: Case, person: PublicPerson, lang: str) -> PublicPerson:
    occupation = _exactly(case, Path("person", "occupation", person.position), lang)
    return replace(person, occupation=occupation or None)


def export_zip(
    session: Session,
    ref: str,
    *,
    langs: Iterable[str] = (),
    formats: Iterable[str] = FORMATS,
    signer: Signer | str | None = None,
    drafts: bool = True,
) -> bytes:
    letters = export_letters(session, ref, langs, signer, drafts=drafts)
    return export.zip_bytes(letters, tuple(formats))


def preview(
    session: Session,
    ref: str,
    lang: str,
    body: str,
    signer: Signer | str | None = None,
    *,
    on: date | None = None,
) -> RenderedLetter:
    """A coordinator's body as the first target would get it, checked as set_letter checks
    it (LetterInvalid if it does not render) and not saved."""
    lang = check_language(lang)
    view = letter_view(cases.get_case(session, ref), lang)
    on = on or datetime.now(ZoneInfo(view.timezone)).date()
    check_body(view, lang, body.strip(), on)
    target = next(iter(primary_targets(view)), PLACEHOLDER_TARGET)
    signer = as_signer(signer)
    return RenderedLetter(_letter(view, target, lang, signer, on, body.strip()), 1)


def _render(
    case: Case, langs: Iterable[str], signer: Signer, on: date | None
) -> list[RenderedLetter]:
    """Each language's letters from the case as that language reads it (letter_view)."""
    available = available_languages(case)
    on = on or datetime.now(ZoneInfo(case.timezone)).date()
    letters = []
    for lang in dict.fromkeys(code.strip().lower() for code in langs):
        if lang not in available:
            raise LetterUnavailable(ref=case.ref, language=lang[:8], available=available)
        view = letter_view(case, lang)
        targets = primary_targets(view)
        if not targets:
            raise NoTargets(ref=case.ref)
        body = letter_body(case, lang)
        for number, target in enumerate(targets, start=1):
            letters.append(RenderedLetter(_letter(view, target, lang, signer, on, body), number))
    return letters


def _letter(
    view: PublicCase,
    target: PublicTarget,
    lang: str,
    signer: Signer,
    on: date,
    body: str | None,
) -> Letter:
    try:
        return render_letter(view, target, lang, on=on, signature=signer, body=body)
    except BodyError as exc:
        raise body_refused(view.ref, lang, exc, CONTEXT_NAMES) from None
