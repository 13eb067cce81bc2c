"""Why a letter cannot be had: DomainErrors, so the CLI and the bot show one templated line."""

from __future__ import annotations

from bot.domain.errors import DomainError


class LetterInvalid(DomainError):
    """A coordinator's body that does not render with the public context; nothing saved."""

    code = "letter_invalid"


class LetterUnavailable(DomainError):
    """No letter in the asked language; carries the languages there are."""

    code = "letter_unavailable"


class NoTargets(DomainError):
    code = "letter_no_targets"


class UnknownFormat(DomainError):
    code = "letter_format"


class OutputNotWritable(DomainError):
    code = "letter_output"
