"""Model letters in the store: which languages a case has letters in, and a coordinator's
case-specific body, checked in the sandbox against the public context before it is saved.

Like every domain module: the caller's session first, never a commit, an audit event per
change, a DomainError (and nothing written) per refusal.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bot.domain import audit
from bot.domain.cases import get_case
from bot.domain.errors import CaseClosed, InvalidValue
from bot.domain.staff import Actor, require
from bot.domain.views import PublicCase, PublicTarget, public_case
from bot.languages import LANGUAGES
from bot.letters.errors import body_refused
from bot.letters.render import CONTEXT_NAMES, BodyError, letter_context, render_body
from bot.store.models import Case, ModelLetter

MAX_BODY = 8_000
# Checks a body on a case with no targets yet: every field a target has, all empty.
PLACEHOLDER_TARGET = PublicTarget(
    role="primary",
    title="",
    name="",
    institution="",
    country="",
    address="",
    email=None,
    salutation="",
    language="en",
)


def available_languages(case: Case) -> tuple[str, ...]:
    """The case's preferred languages (our default letters cover them) and every language
    a coordinator wrote a body in, preferred first."""
    written = {letter.language for letter in case.letters}
    preferred = [code for code in case.languages or () if code in LANGUAGES]
    extra = [code for code in LANGUAGES if code in written and code not in preferred]
    return tuple(dict.fromkeys(preferred + extra))


def letter_body(case: Case, lang: str) -> str | None:
    """The coordinator's body for this language; None means our default for the case's kind."""
    return next((row.body for row in case.letters if row.language == lang), None)


def check_body(case: PublicCase, lang: str, body: str, on: date) -> None:
    """Render `body` for every target (or a blank one) with the public context only."""
    for target in case.targets or (PLACEHOLDER_TARGET,):
        try:
            render_body(lang, body, letter_context(case, target, lang, None, on))
        except BodyError as exc:
            raise body_refused(case.ref, lang, exc, CONTEXT_NAMES) from None


def check_language(lang: str) -> str:
    code = lang.strip().lower()
    if code not in LANGUAGES:
        raise InvalidValue(field="language", limit=0, allowed=LANGUAGES)
    return code


def set_letter(
    session: Session, actor: Actor, ref: str, lang: str, body: str, on: date | None = None
) -> ModelLetter:
    """Save the case-specific body for one language, replacing the one there was."""
    require(actor, "coordinator", "letter_set")
    lang = check_language(lang)
    body = body.strip()
    if not body or len(body) > MAX_BODY:
        raise InvalidValue(field="letter", limit=MAX_BODY)
    case = get_case(session, ref)
    if case.status == "closed":
        raise CaseClosed(ref=case.ref)
    check_body(public_case(case), lang, body, on or date.today())
    return _store(session, actor, case, lang, body)


def _store(session: Session, actor: Actor, case: Case, lang: str, body: str) -> ModelLetter:
    row = next((r for r in case.letters if r.language == lang), None)
    before = {"language": lang, "body": row.body} if row else None
    if row is None:
        row = ModelLetter(case=case, language=lang, body=body)
        session.add(row)
    row.body = body
    row.updated_by = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        "letter.set",
        case_ref=case.ref,
        entity="model_letter",
        entity_id=row.id,
        before=before,
        after={"language": lang, "body": body},
    )
    return row
