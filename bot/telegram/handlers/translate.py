"""/translate: a coordinator adds or corrects a case's text in a language, from the phone.

Guided: `/translate [REF]` → the case (buttons) → the language, each with how many texts it
lacks → the field, those it lacks marked → the bot shows the text in that language and the
original, and asks for the new one; the answer is saved and the next missing field asked, so
a whole case is translated as a chain of replies.
Quick: `/translate REF LANG FIELD TEXT`, e.g.
`/translate KZ-2026-001 kk people[1].name Дулат Ағаділ`.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain import cases, translations
from bot.domain.errors import DomainError
from bot.domain.views import case_line
from bot.languages import LANGUAGES
from bot.store.models import Case
from bot.telegram import awaiting
from bot.telegram.dispatch import Ctx, ExpiredButton, Usage
from bot.telegram.keyboards import Button, label
from bot.telegram.reply import Reply

PER_ROW = 2  # field buttons side by side: paths such as targets[2].institution are long


def translate(ctx: Ctx) -> Reply:
    if not ctx.args:
        return _pick_case(ctx)
    case = cases.get_case(ctx.session, ctx.args[0])
    if len(ctx.args) == 1:
        return _pick_language(ctx, case)
    language = _language(ctx.args[1])
    if len(ctx.args) == 2:
        return _pick_field(ctx, case, language)
    path = translations.check_path(case, ctx.args[2])
    if len(ctx.args) == 3:
        return _ask(ctx, case, language, path)
    text = ctx.rest.split(maxsplit=3)[3]
    return _save(ctx, case, language, path, text)


def button(ctx: Ctx) -> Reply:
    """tl:REF → languages; tl:REF:LANG → fields; tl:REF:LANG:PATH → the question."""
    if not 1 <= len(ctx.args) <= 3 or (len(ctx.args) > 1 and ctx.args[1] not in LANGUAGES):
        raise ExpiredButton
    case = cases.get_case(ctx.session, ctx.args[0])
    if len(ctx.args) == 1:
        reply = _pick_language(ctx, case)
    elif len(ctx.args) == 2:
        reply = _pick_field(ctx, case, ctx.args[1])
    else:
        reply = _ask(ctx, case, ctx.args[1], _known_path(case, ctx.args[2]))
    return replace(reply, edit=True)


def button_skip(ctx: Ctx) -> Reply:
    """ts:REF:LANG:PATH: leave that field for later and ask the next missing one."""
    if len(ctx.args) != 3 or ctx.args[1] not in LANGUAGES:
        raise ExpiredButton
    case = cases.get_case(ctx.session, ctx.args[0])
    following = translations.next_missing(case, ctx.args[1], after=_known_path(case, ctx.args[2]))
    if following is None:
        awaiting.clear(ctx.user_data)
        return replace(_done(ctx, case, ctx.args[1]), edit=True)
    return replace(_ask(ctx, case, ctx.args[1], following), edit=True)


def got_text(ctx: Ctx, question: dict[str, str]) -> Reply:
    """The answer to a question _ask put: saved, then the next missing field asked."""
    case = cases.get_case(ctx.session, question["ref"])
    return _save(ctx, case, question["language"], question["path"], ctx.rest)


def cancel(ctx: Ctx) -> Reply:
    """/cancel outside a guided conversation: the open question, if any, is dropped."""
    had = awaiting.clear(ctx.user_data)
    return Reply.page("bot/question_cancelled.html", ctx.lang, had=had)


def _save(ctx: Ctx, case: Case, language: str, path: str, text: str) -> Reply:
    where = translations.parse_path(path)
    translations.set_text(ctx.session, ctx.actor, case, where, language, text, ctx.now)
    following = translations.next_missing(case, language, after=path)
    if following is None:
        awaiting.clear(ctx.user_data)
        return _done(ctx, case, language, saved=path)
    return _ask(ctx, case, language, following, saved=path)


def _ask(ctx: Ctx, case: Case, language: str, path: str, saved: str | None = None) -> Reply:
    """The field's text in `language` and in its original, and the question; the next plain
    message answers it."""
    where = translations.parse_path(path)
    original = translations.original_of(case, where)
    awaiting.ask(ctx.user_data, "translate", ctx.now, ref=case.ref, language=language, path=path)
    buttons: list[list[Button]] = [
        [
            (label(ctx.lang, "skip"), f"ts:{case.ref}:{language}:{path}"),
            (label(ctx.lang, "all_fields"), f"tl:{case.ref}:{language}"),
        ]
    ]
    return Reply.page(
        "bot/translate_ask.html",
        ctx.lang,
        buttons,
        ref=case.ref,
        language=language,
        path=path,
        saved=saved,
        current=translations.current(case, where, language),
        original=original,
        original_text=translations.current(case, where, original),
        left=len(translations.missing(case, language)),
    )


def _done(ctx: Ctx, case: Case, language: str, saved: str | None = None) -> Reply:
    buttons: list[list[Button]] = [[(label(ctx.lang, "all_fields"), f"tl:{case.ref}:{language}")]]
    return Reply.page(
        "bot/translate_done.html",
        ctx.lang,
        buttons,
        ref=case.ref,
        language=language,
        saved=saved,
        left=len(translations.missing(case, language)),
    )


def _forget_question(ctx: Ctx) -> None:
    """Back at a list: a text typed now must not land in the field asked before."""
    question = awaiting.current(ctx.user_data, ctx.now)
    if question is not None and question["kind"] == "translate":
        awaiting.clear(ctx.user_data)


def _pick_case(ctx: Ctx) -> Reply:
    _forget_question(ctx)
    views = [case_line(c) for c in cases.list_cases(ctx.session, statuses=("draft", "active"))]
    buttons: list[list[Button]] = [[(f"{v.ref}: {v.title}"[:60], f"tl:{v.ref}")] for v in views]
    return Reply.page("bot/translate_case.html", ctx.lang, buttons, empty=not views)


def _pick_language(ctx: Ctx, case: Case) -> Reply:
    _forget_question(ctx)
    buttons: list[list[Button]] = [
        [
            (
                label(
                    ctx.lang,
                    "translate_language",
                    code=code,
                    missing=len(translations.missing(case, code)),
                    original=code == case.language,
                ),
                f"tl:{case.ref}:{code}",
            )
        ]
        for code in LANGUAGES
    ]
    return Reply.page("bot/translate_language.html", ctx.lang, buttons, ref=case.ref)


def _pick_field(ctx: Ctx, case: Case, language: str) -> Reply:
    _forget_question(ctx)
    fields = translations.translatable(case, language)
    pick = f"tl:{case.ref}:{language}"
    buttons: list[list[Button]] = [
        [
            (label(ctx.lang, "translate_field", path=path, missing=gap), f"{pick}:{path}")
            for path, gap in fields[i : i + PER_ROW]
        ]
        for i in range(0, len(fields), PER_ROW)
    ]
    return Reply.page(
        "bot/translate_field.html",
        ctx.lang,
        buttons,
        ref=case.ref,
        language=language,
        missing=sum(gap for _, gap in fields),
    )


def _language(code: str) -> str:
    if code.lower() not in LANGUAGES:
        raise Usage("translate", "language")
    return code.lower()


def _known_path(case: Case, text: str) -> str:
    """A path from a button that the case still has (a forged or outdated one expires)."""
    try:
        return translations.check_path(case, text)
    except DomainError:
        raise ExpiredButton from None
