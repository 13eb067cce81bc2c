"""bot/domain/letters.py: a coordinator's body, checked in the sandbox, audited; languages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import letters
from bot.domain.cases import get_case
from bot.domain.errors import DomainError, InvalidValue, NotAllowed, UnknownCase
from bot.letters.errors import LetterInvalid, LetterTooCostly
from bot.store.models import AuditEvent, ModelLetter
from tests.letters.conftest import COORDINATOR, PLAIN, REF, make_case

BODY = "Мен {{ people_names }} үшін {{ target.title }} атына жазамын."


def _rows(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(ModelLetter)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def _refused(
    sessions: sessionmaker[Session], error: type[DomainError], *args: object
) -> DomainError:
    """The refusal, committed anyway: not one letter or audit row may have been written."""
    before = _rows(sessions)
    with sessions.begin() as session, pytest.raises(error) as raised:
        letters.set_letter(session, *args)  # type: ignore[arg-type]
    assert _rows(sessions) == before
    return raised.value


def test_a_coordinator_sets_a_body_and_the_audit_keeps_it(
    sessions: sessionmaker[Session], case_ref: str
) -> None:
    with sessions.begin() as session:
        letters.set_letter(session, COORDINATOR, case_ref, "KK", BODY)
    with sessions() as session:
        case = get_case(session, case_ref)
        assert letters.letter_body(case, "kk") == BODY
        assert letters.letter_body(case, "ru") is None
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.set")).one()
        assert (event.actor_id, event.case_ref, event.before) == (2002, REF, None)
        assert event.after == {"language": "kk", "body": BODY}


def test_setting_a_body_again_replaces_it(sessions: sessionmaker[Session], case_ref: str) -> None:
    with sessions.begin() as session:
        letters.set_letter(session, COORDINATOR, case_ref, "ru", "Первый вариант.")
    with sessions.begin() as session:
        letters.set_letter(session, COORDINATOR, case_ref, "ru", "Второй вариант.")
    with sessions() as session:
        rows = session.scalars(select(ModelLetter)).all()
        assert [(r.language, r.body) for r in rows] == [("ru", "Второй вариант.")]
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None and last.before == {"language": "ru", "body": "Первый вариант."}


def test_only_coordinators_set_letters(sessions: sessionmaker[Session], case_ref: str) -> None:
    _refused(sessions, NotAllowed, PLAIN, case_ref, "kk", BODY)


@pytest.mark.parametrize(
    "body",
    ["{{ case.internal_notes }}", "{{ people[0].whereabouts }}", "{{ target.name", "{{ x }}"],
)
def test_a_body_that_does_not_render_with_the_public_context_is_refused(
    sessions: sessionmaker[Session], case_ref: str, body: str
) -> None:
    error = _refused(sessions, LetterInvalid, COORDINATOR, case_ref, "kk", body)
    message = error.message("en")
    assert message.startswith(f"The kk letter for {REF} was not saved: ")
    assert "people_names" in message
    assert error.message("ru").startswith(f"Письмо для {REF} на языке kk не сохранено: ")


def test_a_body_past_a_rendering_bound_is_refused_and_never_stored(
    sessions: sessionmaker[Session], case_ref: str
) -> None:
    body = "{% for i in range(30000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}"
    error = _refused(sessions, LetterTooCostly, COORDINATOR, case_ref, "kk", body)
    assert error.message("en") == (
        f"The kk letter for {REF} was not saved: preparing it takes more than 200000 steps "
        "(loops inside loops?). Make the text simpler and send it again."
    )
    assert error.message("ru") == (
        f"Письмо для {REF} на языке kk не сохранено: для его подготовки нужно больше 200000 "
        "шагов (циклы внутри циклов?). Упростите текст и отправьте его снова."
    )
    assert error.message("kk") == (
        f"{REF} ісі бойынша kk тіліндегі хат сақталмады: оны дайындауға қажет қадамдар саны "
        "200000 шегінен асады (цикл ішінде цикл бар ма?). Мәтінді жеңілдетіп, қайта жіберіңіз."
    )


def test_a_body_is_checked_even_before_the_case_has_targets(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        make_case(session, "KZ-2026-202", targets=(), publish=False)
    _refused(sessions, LetterInvalid, COORDINATOR, "KZ-2026-202", "en", "{{ case.nope }}")
    with sessions.begin() as session:
        letters.set_letter(session, COORDINATOR, "KZ-2026-202", "en", "For {{ people_names }}.")


@pytest.mark.parametrize(
    ("ref", "lang", "body", "error"),
    [
        (REF, "de", BODY, InvalidValue),
        (REF, "kk", "   ", InvalidValue),
        (REF, "kk", "x" * 8_001, InvalidValue),
        ("KZ-2026-999", "kk", BODY, UnknownCase),
    ],
)
def test_bad_requests_are_refused(
    sessions: sessionmaker[Session],
    case_ref: str,
    ref: str,
    lang: str,
    body: str,
    error: type[DomainError],
) -> None:
    _refused(sessions, error, COORDINATOR, ref, lang, body)


def test_languages_are_the_preferred_ones_then_those_a_coordinator_wrote(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        make_case(session, languages=("ru",), publish=False)
        assert letters.available_languages(get_case(session, REF)) == ("ru",)
        letters.set_letter(session, COORDINATOR, REF, "en", "For {{ people_names }}.")
        assert letters.available_languages(get_case(session, REF)) == ("ru", "en")
