"""Every domain error has a message in every language, rendered from templates/."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain import errors
from bot.domain.errors import DomainError, InvalidDeadline
from bot.domain.timeutil import parse_local_deadline
from bot.texts import LANGUAGES, UI_DIR

SAMPLE_PARAMS: dict[str, dict[str, Any]] = {
    "domain_error": {},
    "unknown_case": {"ref": "KZ-2026-999"},
    "unknown_person": {"ref": "KZ-2026-001", "position": 3, "count": 2},
    "unknown_target": {"ref": "KZ-2026-001", "position": 3, "count": 2},
    "unknown_status": {"status": "vanished", "statuses": ("detained", "missing")},
    "unknown_outcome": {"outcome": "forgotten", "outcomes": ("released", "sentenced")},
    "unknown_role": {"role": "bcc", "roles": ("primary", "copy")},
    "unknown_theme": {"theme": "knitting", "themes": ("detention", "torture")},
    "invalid_country": {"value": "XX"},
    "invalid_timezone": {"value": "Mars/Olympus"},
    "invalid_value": {"field": "title", "limit": 200},
    "invalid_signer": {"field": "town", "limit": 100},
    "deadline_in_past": {},
    "invalid_deadline": {},
    "case_exists": {"ref": "KZ-2026-001"},
    "case_closed": {"ref": "KZ-2026-001"},
    "case_not_active": {"ref": "KZ-2026-001"},
    "action_ended": {"ref": "KZ-2026-001"},
    "text_too_long": {"field": "title", "length": 5370, "limit": 3000},
    "no_such_text": {"ref": "KZ-2026-001", "path": "people[9].name"},
    "already_published": {"ref": "KZ-2026-001"},
    "case_not_ready": {"ref": "KZ-2026-001", "missing": ["people", "deadline"]},
    "original_missing": {"ref": "KZ-2026-001", "language": "en"},
    "not_allowed": {"action": "publish", "role": "coordinator"},
    "not_subscribed": {},
}


def _error_classes() -> list[type[DomainError]]:
    found = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, DomainError)
    ]
    return sorted(found, key=lambda cls: cls.code)


def test_every_error_has_its_own_code_and_sample_parameters_here() -> None:
    codes = [cls.code for cls in _error_classes()]
    assert len(codes) == len(set(codes))
    assert set(codes) == set(SAMPLE_PARAMS)


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.code)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_error_renders_a_message_in_every_language(cls: type[DomainError], lang: str) -> None:
    error = cls(**SAMPLE_PARAMS[cls.code])
    message = error.message(lang)
    assert message.strip()
    assert "{{" not in message and "{%" not in message
    for value in SAMPLE_PARAMS[cls.code].values():
        # codes a message names in the reader's words (a role, a command, a field, a language)
        if isinstance(value, str) and value not in (
            "coordinator",
            "publish",
            "title",
            "en",
            "town",
        ):
            assert value in message


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.code)
def test_every_error_has_its_own_text(cls: type[DomainError]) -> None:
    # render() would fail on a missing template, but only when the error happens: check the file.
    assert (UI_DIR / "errors" / f"{cls.code}.txt").is_file()


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.code)
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_error_is_translated(cls: type[DomainError], lang: str) -> None:
    error = cls(**SAMPLE_PARAMS[cls.code])
    assert error.message(lang) != error.message("en")


def test_an_errors_text_never_shows_its_parameters_values() -> None:
    # str(error) goes to logs: it names the parameters, never their values.
    error = errors.UnknownCase(ref="CANARY-REF")
    assert "CANARY-REF" not in str(error)
    assert "ref" in str(error)


def test_a_message_in_russian_differs_from_english() -> None:
    error = errors.CaseClosed(ref="KZ-2026-001")
    assert error.message("ru") != error.message("en")


def test_a_message_in_kazakh_is_its_own() -> None:
    error = errors.CaseClosed(ref="KZ-2026-001")
    assert error.message("kk") not in (error.message("ru"), error.message("en"))


def test_a_russian_case_not_ready_message_names_what_is_missing_in_russian() -> None:
    message = errors.CaseNotReady(ref="KZ-1", missing=["people", "targets", "deadline"]).message(
        "ru"
    )
    assert not {"people", "targets", "deadline"} & set(message.replace(",", " ").split())


@pytest.mark.parametrize(
    ("day", "at"),
    [("2026-13-01", None), ("tomorrow", None), ("2026-12-01", "25:00"), ("2026-12-1", None)],
)
def test_an_impossible_deadline_is_refused_as_invalid(day: str, at: str | None) -> None:
    with pytest.raises(InvalidDeadline):
        parse_local_deadline(day, at, "Asia/Almaty")


def test_a_deadline_without_a_time_is_the_end_of_that_day_in_the_cases_zone() -> None:
    deadline = parse_local_deadline("2026-12-01", None, "Asia/Almaty")
    assert (deadline.hour, deadline.minute, str(deadline.tzinfo)) == (23, 59, "Asia/Almaty")
