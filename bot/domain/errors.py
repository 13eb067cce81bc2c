"""Typed domain errors. Each carries a template name and safe parameters, never restricted input."""

from __future__ import annotations

from typing import Any

from bot.texts import render


class DomainError(Exception):
    """A request the domain refuses; the database is left as it was."""

    code = "domain_error"

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(f"{self.code} {sorted(params)}")

    def message(self, lang: str = "en") -> str:
        return render(f"errors/{self.code}.txt", lang, **self.params)


class UnknownCase(DomainError):
    code = "unknown_case"


class UnknownPerson(DomainError):
    code = "unknown_person"


class UnknownStatus(DomainError):
    code = "unknown_status"


class UnknownTarget(DomainError):
    code = "unknown_target"


class UnknownOutcome(DomainError):
    code = "unknown_outcome"


class UnknownRole(DomainError):
    code = "unknown_role"


class UnknownTheme(DomainError):
    code = "unknown_theme"


class InvalidCountry(DomainError):
    code = "invalid_country"


class InvalidTimezone(DomainError):
    code = "invalid_timezone"


class InvalidValue(DomainError):
    """A field that fails a plain rule (empty title, bad e-mail, negative age…)."""

    code = "invalid_value"


class InvalidSigner(DomainError):
    """A name, town or e-mail that cannot sign a letter (empty, too long, not an address)."""

    code = "invalid_signer"


class DeadlineInPast(DomainError):
    code = "deadline_in_past"


class InvalidDeadline(DomainError):
    code = "invalid_deadline"


class CaseExists(DomainError):
    code = "case_exists"


class CaseClosed(DomainError):
    code = "case_closed"


class CaseNotActive(DomainError):
    code = "case_not_active"


class TextTooLong(InvalidValue):
    """An InvalidValue that says by how much: the length and the limit."""

    code = "text_too_long"


class ActionEnded(DomainError):
    """A supporter's request (a letter, "I took action") on a case that has been closed."""

    code = "action_ended"


class AlreadyPublished(DomainError):
    code = "already_published"


class CaseNotReady(DomainError):
    code = "case_not_ready"


class NotAllowed(DomainError):
    code = "not_allowed"


class NotSubscribed(DomainError):
    code = "not_subscribed"


class OriginalMissing(DomainError):
    """A text given in several languages without the case's original one."""

    code = "original_missing"


class NoSuchText(DomainError):
    """A translation asked for at a path the case has no text at (people[9].name …)."""

    code = "no_such_text"
