"""Why a letter cannot be had: DomainErrors, so the CLI and the bot show one templated line."""

from __future__ import annotations

from bot.domain.errors import DomainError
from bot.letters.render import BodyError


class LetterInvalid(DomainError):
    """A coordinator's body that does not render with the public context; nothing saved."""

    code = "letter_invalid"


class LetterTooCostly(DomainError):
    """A body that went past a bound on rendering (bot/letters/bounded.py): `bound` is
    "time", "steps", "output" or "memory"; nothing saved."""

    code = "letter_too_costly"


def body_refused(ref: str, lang: str, exc: BodyError, names: tuple[str, ...]) -> DomainError:
    """A BodyError as the coordinator reads it."""
    if exc.bound is not None:
        return LetterTooCostly(ref=ref, language=lang, bound=exc.bound, limit=exc.limit)
    return LetterInvalid(ref=ref, language=lang, reason=exc.reason, line=exc.line, names=names)


class LetterUnavailable(DomainError):
    """No letter in the asked language; carries the languages there are."""

    code = "letter_unavailable"


class NoTargets(DomainError):
    code = "letter_no_targets"


class UnknownFormat(DomainError):
    code = "letter_format"


class OutputNotWritable(DomainError):
    code = "letter_output"
