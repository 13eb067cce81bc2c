"""One letter to one target in one language, from public views only. Pure: no session, no I/O.

The template context is built here and nowhere else, from `PublicCase` and `PublicTarget`;
they do not have internal or restricted fields, so no template, ours or a coordinator's,
can put one in a letter. What a coordinator's body may use is `CONTEXT_NAMES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from jinja2 import TemplateError, TemplateSyntaxError

from bot.domain.views import PublicCase, PublicPerson, PublicTarget
from bot.letters import bounded
from bot.letters.bounded import Bounds, Exceeded, counting_steps, joined
from bot.letters.sender import Signer, as_signer
from bot.letters.templates import files, renderer, sandbox

# Themes pick the default body; the first kind that matches wins, so a case about
# detention and surveillance gets the detention letter (the more urgent demands). A default
# body states facts ("they are under surveillance"), so each kind is chosen only by the
# themes that establish them; "reprisals" alone gets the general letter, which asks that
# there be none.
KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("detention", frozenset({"detention", "torture"})),
    ("surveillance", frozenset({"surveillance"})),
    ("prosecution", frozenset({"fair_trial", "political_prisoners"})),
)
# With no telling theme, the people's status decides.
STATUS_KINDS = {
    "detained": "detention",
    "under_surveillance": "surveillance",
    "prosecuted": "prosecution",
}
DEFAULT_KIND = "general"
CONTEXT_NAMES = (
    "case",
    "target",
    "people",
    "people_names",
    "plural",
    "pronoun",
    "salutation",
    "date",
    "deadline",
    "country",
    "signature",
    "signer",
    "asks",
    "copies",
    "lang",
)
BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")  # what an empty optional paragraph leaves
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Patronymics say whom a salutation addresses when the target's pronoun is not set:
# Russian -ович/-евич/-ич and -овна/-евна/-ична, Kazakh -ұлы/-улы and -қызы/-кызы.
FEMININE_PATRONYMIC = re.compile(r"(?:овна|евна|ична|инична|қызы|кызы)$", re.IGNORECASE)
MASCULINE_PATRONYMIC = re.compile(r"(?:ович|евич|ич|ұлы|улы|оглы)$", re.IGNORECASE)


@dataclass(frozen=True)
class Letter:
    """A rendered letter: the parts a PDF lays out, and the whole as plain text."""

    ref: str
    lang: str
    target: PublicTarget
    copies: tuple[PublicTarget, ...]
    subject: str
    address: tuple[str, ...]  # the addressee block (ru, kk: in the dative when given)
    date: str
    message: str  # salutation to signature: the body of an e-mail
    copies_note: str  # "" when the case has no copy targets
    text: str  # the whole letter, as a .txt file or a chat message
    salutation: str = ""
    body: str = ""
    closing: str = ""  # "Yours sincerely,"
    sender: tuple[str, ...] = ()  # the sender block, or the lines to sign and name by hand
    author: str = ""  # who signs (the PDF's /Author); "" when the letter is signed by hand
    address_side: str = "left"  # where the addressee block stands: "left" or "right"
    note: str = ""  # for the supporter, not the official: "you may also write in your own language"


class BodyError(Exception):
    """A coordinator's body that does not render; `reason` never holds context values.
    `bound`: the body went past that bound of bot/letters/bounded.py (its `limit`)."""

    def __init__(
        self, reason: str, line: int | None = None, *, bound: str | None = None, limit: float = 0
    ) -> None:
        self.reason = reason
        self.line = line
        self.bound = bound
        self.limit = limit
        super().__init__(reason)


def letter_kind(themes: Iterable[str], people: Iterable[PublicPerson] = ()) -> str:
    wanted = set(themes)
    for kind, kind_themes in KINDS:
        if wanted & kind_themes:
            return kind
    for person in people:
        if person.status in STATUS_KINDS:
            return STATUS_KINDS[person.status]
    return DEFAULT_KIND


def primary_targets(case: PublicCase) -> tuple[PublicTarget, ...]:
    return tuple(t for t in case.targets if t.role == "primary")


def copy_targets(case: PublicCase) -> tuple[PublicTarget, ...]:
    return tuple(t for t in case.targets if t.role == "copy")


def address_lines(target: PublicTarget, lang: str = "en") -> tuple[str, ...]:
    """The addressee block as the letter's language writes it (addressee.txt): in Russian and
    Kazakh the target's own dative form when given, else title and name; then the postal
    address. No e-mail: it is not part of a postal address."""
    text = renderer(lang, "addressee.txt")(target=target, title_in_name=_title_in_name(target))
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _title_in_name(target: PublicTarget) -> bool:
    # Demo and real data often repeat the title inside the name ("Prosecutor General of …").
    return bool(target.title) and target.title.casefold() in target.name.casefold()


def _is_plural(people: tuple[PublicPerson, ...]) -> bool:
    """Several people, or a group; one person whose pronoun is "they" is one person (Russian
    has no singular "they": its letters name them without a gendered pronoun instead)."""
    if len(people) != 1:
        return True
    return (people[0].group_size or 1) > 1


def target_pronoun(target: PublicTarget) -> str | None:
    """ "he" or "she" for a salutation's agreement: the target's pronoun, else what the
    patronymic of its polite name says, else None (a salutation that needs neither)."""
    if target.pronoun in ("he", "she"):
        return target.pronoun
    last = (target.polite_name.split() or [""])[-1]
    if FEMININE_PATRONYMIC.search(last):
        return "she"
    if MASCULINE_PATRONYMIC.search(last):
        return "he"
    return None


def _asks(case: PublicCase, target: PublicTarget) -> tuple[str, ...]:
    """What this letter asks for, one per line: the target's own asks on this case, else the
    case's; () for the default body's own."""
    text = target.asks.strip() or case.asks.strip()
    return tuple(line.strip().lstrip("-•*").strip() for line in text.splitlines() if line.strip())


def _people_names(people: tuple[PublicPerson, ...], lang: str) -> str:
    label = renderer(lang, "person.txt")
    return format_list([label(person=p) for p in people], locale=lang)


def _deadline(case: PublicCase, lang: str) -> str | None:
    if case.deadline is None:
        return None
    local = case.deadline.astimezone(ZoneInfo(case.timezone))
    return _date(local.date(), lang)


def _date(on: date, lang: str) -> str:
    """As the language writes a date in a letter (date_format.txt, a Babel pattern):
    '5 December 2026', '5 декабря 2026 г.', '2026 жылғы 5 желтоқсан'."""
    return format_date(on, format=renderer(lang, "date_format.txt")(), locale=lang)


def _salutation(target: PublicTarget, lang: str) -> str:
    """The target's own salutation in the letter's language, else one built from its polite
    name or title (salutation.txt): «Уважаемый Берик Нурланович!», «Құрметті Бас прокурор
    мырза!», "Dear Prosecutor General,".

    The service gives only texts written in the letter's language; the script check also
    keeps an English salutation out of a Russian letter and a Cyrillic one out of an English.
    """
    own = target.salutation.strip()
    if own and _in_script(own, lang):
        return own + ("," if lang == "en" and own[-1].isalnum() else "")
    # A title in another script (the nearest language's, when the letter's is missing)
    # would read as a foreign word in the salutation: the courteous general form instead.
    if not _in_script(target.title, lang):
        target = replace(target, title="")
    return renderer(lang, "salutation.txt")(target=target, pronoun=target_pronoun(target))


def _in_script(text: str, lang: str) -> bool:
    """Latin for an English letter, Cyrillic for a Russian or Kazakh one."""
    return (lang == "en") != bool(CYRILLIC.search(text))


def letter_context(
    case: PublicCase,
    target: PublicTarget,
    lang: str,
    signer: Signer | str | None,
    on: date,
) -> dict[str, Any]:
    """Everything a letter template may name, and nothing else (see CONTEXT_NAMES).

    The case's reference is an internal index the official has never seen: it is blank
    here, so no letter, ours or a coordinator's, can carry it."""
    single = case.people[0] if len(case.people) == 1 else None
    signer = as_signer(signer)
    return {
        "case": replace(case, ref=""),
        "target": target,
        "people": case.people,
        "people_names": _people_names(case.people, lang),
        "plural": _is_plural(case.people),
        "pronoun": single.pronoun if single else None,
        "salutation": _salutation(target, lang),
        "date": _date(on, lang),
        "deadline": _deadline(case, lang),
        "country": Locale.parse(lang).territories.get(case.country, case.country),
        "signature": signer.author,
        "signer": signer,
        "asks": _asks(case, target),
        "copies": copy_targets(case),
        "lang": lang,
    }


def _template_line(tb: TracebackType | None) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.replace("bot.domain.views.", "")[:160]


def render_body(
    lang: str, source: str, context: dict[str, Any], bounds: Bounds | None = None
) -> str:
    """A coordinator's body in the sandbox, in the rendering process and within its bounds
    (bot/letters/bounded.py; the settings' LETTER_RENDER_* if None); any failure is a
    BodyError, never a crash."""
    bounds = bounds or Bounds.from_settings()
    args = (lang, source, context, bounds.steps, bounds.output)
    try:
        failed, text, line = bounded.run(_render_sandboxed, args, bounds)
    except Exceeded as exc:
        raise BodyError(exc.bound, bound=exc.bound, limit=exc.limit) from None
    if failed:
        raise BodyError(text, line)
    if not text:
        raise BodyError("empty")
    return text


def _render_sandboxed(
    lang: str, source: str, context: dict[str, Any], steps: int, output: int
) -> tuple[bool, str, int | None]:
    """In the rendering process: (failed, the body or the reason, the line)."""
    try:
        template = sandbox(lang).from_string(source)
        with counting_steps(steps):
            return False, joined(template.generate(**context), output).strip(), None
    except TemplateSyntaxError as exc:
        return True, _reason(exc), exc.lineno
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        return True, _reason(exc), _template_line(exc.__traceback__)
    except RecursionError:
        return True, "recursion", None


def render_letter(
    case: PublicCase,
    target: PublicTarget,
    lang: str,
    *,
    on: date,
    signature: Signer | str | None = None,
    body: str | None = None,
) -> Letter:
    """`body` is the coordinator's template for this case and language; None: our default.
    `signature`: who signs (a Signer, or a bare name); None leaves lines to sign by hand."""
    context = letter_context(case, target, lang, signature, on)
    if body is None:
        kind = letter_kind(case.themes, case.people)
        text = files(lang).get_template(f"bodies/{kind}.txt").render(**context)
        text = BLANK_LINES.sub("\n\n", text).strip()
    else:
        text = render_body(lang, body, context)
    return _assemble(case, target, lang, context, text)


def _assemble(
    case: PublicCase, target: PublicTarget, lang: str, context: dict[str, Any], body: str
) -> Letter:
    signer: Signer = context["signer"]
    subject = renderer(lang, "subject.txt")(**context)
    closing = renderer(lang, "closing.txt")()
    sender = tuple(renderer(lang, "sender.txt")(signer=signer).splitlines())
    message = renderer(lang, "message.txt")(
        salutation=context["salutation"], body=body, closing=closing, sender=sender
    )
    copies = context["copies"]
    copies_note = renderer(lang, "copies.txt")(copies=copies) if copies else ""
    address = address_lines(target, lang)
    text = renderer(lang, "letter.txt")(
        address=address,
        date=context["date"],
        subject=subject,
        message=message,
        copies_note=copies_note,
    )
    return Letter(
        ref=case.ref,
        lang=lang,
        target=target,
        copies=copies,
        subject=subject,
        address=address,
        date=context["date"],
        message=message,
        copies_note=copies_note,
        text=text + "\n",
        salutation=context["salutation"],
        body=body,
        closing=closing,
        sender=sender,
        author=signer.author,
        address_side=renderer(lang, "address_side.txt")(),
        note=renderer(lang, "own_language.txt")(),
    )
