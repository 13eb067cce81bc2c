"""The case lifecycle (draft → active → closed) and every refusal on the way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases
from bot.domain.cases import PersonInput
from bot.domain.errors import (
    AlreadyPublished,
    CaseClosed,
    CaseExists,
    CaseNotActive,
    CaseNotReady,
    DeadlineInPast,
    InvalidCountry,
    InvalidValue,
    NotAllowed,
    UnknownCase,
    UnknownOutcome,
    UnknownPerson,
    UnknownRole,
    UnknownStatus,
    UnknownTheme,
)
from bot.domain.staff import SYSTEM
from bot.store.models import Alert, Case, CaseEvent, Person
from tests.domain.factories import (
    CANARIES,
    COORDINATOR,
    DEADLINE,
    NOW,
    PLAIN,
    active,
    closed,
    draft,
    person,
    refused,
    target,
)

REF = "KZ-2026-101"
Request = Callable[[Session], object]


def _case(sessions: sessionmaker[Session], ref: str = REF) -> Case:
    with sessions() as session:
        return cases.get_case(session, ref)


# --- creating a draft -------------------------------------------------------------------


def test_a_new_case_is_a_draft_numbered_after_its_country_and_year(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        first = cases.create_case(session, COORDINATOR, title="First", country="kz", now=NOW)
        second = cases.create_case(session, COORDINATOR, title="Second", country="KZ", now=NOW)
    assert (first.ref, second.ref) == (f"KZ-{NOW.year}-001", f"KZ-{NOW.year}-002")
    case = _case(sessions, first.ref)
    assert (case.status, case.country, case.timezone) == ("draft", "KZ", "Asia/Almaty")
    assert case.created_by == COORDINATOR.user_id
    assert case.languages == ["en"]


def test_creating_a_case_in_an_unknown_country_is_refused(sessions: sessionmaker[Session]) -> None:
    error = refused(
        sessions,
        InvalidCountry,
        lambda s: cases.create_case(s, COORDINATOR, title="T", country="XX", now=NOW),
    )
    assert "XX" in error.message()


def test_creating_a_case_with_an_unknown_theme_is_refused(sessions: sessionmaker[Session]) -> None:
    error = refused(
        sessions,
        UnknownTheme,
        lambda s: cases.create_case(
            s, COORDINATOR, title="T", country="KZ", themes=["knitting"], now=NOW
        ),
    )
    assert "knitting" in error.message()
    assert "detention" in error.message()


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "   "},
        {"title": "x" * 201},
        {"languages": ["fr"]},
        {"ref": "not a reference"},
    ],
    ids=["empty-title", "long-title", "unknown-language", "bad-reference"],
)
def test_creating_a_case_with_an_invalid_field_is_refused(
    sessions: sessionmaker[Session], fields: dict[str, object]
) -> None:
    values: dict[str, object] = {"title": "Title", "country": "KZ", "now": NOW, **fields}
    refused(sessions, InvalidValue, lambda s: cases.create_case(s, COORDINATOR, **values))


def test_creating_a_case_with_a_deadline_in_the_past_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    refused(
        sessions,
        DeadlineInPast,
        lambda s: cases.create_case(
            s, COORDINATOR, title="T", country="KZ", deadline=NOW - timedelta(minutes=1), now=NOW
        ),
    )


# --- people and targets -----------------------------------------------------------------


def test_people_are_numbered_in_the_order_they_are_added(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
        cases.add_person(session, COORDINATOR, REF, person("First"))
        cases.add_person(session, COORDINATOR, REF, person("Group", group_size=12))
    people = _case(sessions).people
    assert [(p.position, p.name, p.group_size) for p in people] == [
        (1, "First", None),
        (2, "Group", 12),
    ]


def test_adding_a_person_with_an_unknown_status_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
    error = refused(
        sessions,
        UnknownStatus,
        lambda s: cases.add_person(s, COORDINATOR, REF, person(status="vanished")),
    )
    assert "vanished" in error.message()


@pytest.mark.parametrize(
    "fields",
    [{"age": 0}, {"age": 200}, {"group_size": 0}, {"name": " "}],
    ids=["age-0", "age-200", "empty-group", "empty-name"],
)
def test_adding_a_person_with_an_invalid_field_is_refused(
    sessions: sessionmaker[Session], fields: dict[str, object]
) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
    values = {"name": "Someone", **fields}
    refused(
        sessions, InvalidValue, lambda s: cases.add_person(s, COORDINATOR, REF, person(**values))
    )


def test_editing_a_person_changes_only_the_fields_given(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        cases.edit_person(session, COORDINATOR, REF, 1, age=31, whereabouts="Cell 3")
    with sessions() as session:
        row = session.scalars(select(Person)).one()
        assert (row.name, row.age, row.status, row.whereabouts) == (
            "Aigerim Example",
            31,
            "detained",
            "Cell 3",
        )


def test_editing_a_person_with_a_status_and_other_fields_applies_them_all(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        cases.edit_person(session, COORDINATOR, REF, 1, status="released", age=31)
    with sessions() as session:
        row = session.scalars(select(Person)).one()
        assert (row.status, row.age) == ("released", 31)


@pytest.mark.parametrize(
    "changes",
    [{"shoe_size": 42}, {"age": -1}, {"group_size": 0}, {"name": ""}],
    ids=["unknown-field", "negative-age", "empty-group", "empty-name"],
)
def test_editing_a_person_with_an_invalid_change_is_refused(
    sessions: sessionmaker[Session], changes: dict[str, object]
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    refused(sessions, InvalidValue, lambda s: cases.edit_person(s, COORDINATOR, REF, 1, **changes))


def test_editing_a_person_with_an_unknown_status_and_other_fields_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    refused(
        sessions,
        UnknownStatus,
        lambda s: cases.edit_person(s, COORDINATOR, REF, 1, age=50, status="vanished"),
    )


def test_changing_a_persons_status_is_recorded_on_the_timeline(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, REF)
        cases.change_person_status(session, COORDINATOR, REF, 1, " Released ")
    with sessions() as session:
        assert session.scalars(select(Person.status)).one() == "released"
        event = session.scalars(select(CaseEvent).where(CaseEvent.kind == "status_change")).one()
        assert (event.public_text, event.actor_id) == ("released", COORDINATOR.user_id)


def test_changing_to_an_unknown_status_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
    refused(
        sessions,
        UnknownStatus,
        lambda s: cases.change_person_status(s, COORDINATOR, REF, 1, "vanished"),
    )


@pytest.mark.parametrize(
    "request_",
    [
        lambda s: cases.change_person_status(s, COORDINATOR, REF, 2, "released"),
        lambda s: cases.edit_person(s, COORDINATOR, REF, 0, age=30),
    ],
    ids=["status", "edit"],
)
def test_an_unknown_person_number_is_refused(
    sessions: sessionmaker[Session], request_: Request
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    error = refused(sessions, UnknownPerson, request_)
    assert REF in error.message()


def test_adding_a_target_with_an_unknown_role_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
    error = refused(
        sessions, UnknownRole, lambda s: cases.add_target(s, COORDINATOR, REF, target(role="bcc"))
    )
    assert "primary" in error.message()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"country": "ZZ"}, InvalidCountry),
        ({"email": "not-an-address"}, InvalidValue),
        ({"email": "pg@gov.kz\r\nBcc: leak@example.org"}, InvalidValue),
        ({"email": "pg@gov.kz\nX-Injected: 1"}, InvalidValue),
        ({"email": "pg@gov .kz"}, InvalidValue),
    ],
    ids=["country", "email", "email-crlf", "email-lf", "email-space"],
)
def test_adding_a_target_with_an_invalid_field_is_refused(
    sessions: sessionmaker[Session], fields: dict[str, object], error: type[Exception]
) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
    refused(sessions, error, lambda s: cases.add_target(s, COORDINATOR, REF, target(**fields)))


def test_a_targets_email_is_kept_as_the_validator_normalises_it(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
        cases.add_target(session, COORDINATOR, REF, target(email=" Prosecutor@GOV.kz "))
    assert _case(sessions).case_targets[0].target.email == "Prosecutor@gov.kz"


def test_targets_keep_their_role_and_order(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
        cases.add_target(session, COORDINATOR, REF, target(title="Minister"))
        cases.add_target(session, COORDINATOR, REF, target(title="Embassy", role="copy"))
    links = _case(sessions).case_targets
    assert [(link.position, link.role, link.target.title) for link in links] == [
        (1, "primary", "Minister"),
        (2, "copy", "Embassy"),
    ]


# --- deadlines ---------------------------------------------------------------------------


def test_setting_a_deadline_bumps_its_version_and_is_recorded(
    sessions: sessionmaker[Session],
) -> None:
    later = DEADLINE + timedelta(days=7)
    with sessions.begin() as session:
        active(session, REF)
        cases.set_deadline(session, COORDINATOR, REF, later, now=NOW)
    case = _case(sessions)
    assert (case.deadline, case.deadline_version) == (later, 2)
    with sessions() as session:
        kinds = session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)).all()
    assert kinds[-1] == "deadline_change"


def test_setting_a_deadline_in_the_past_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
    error = refused(
        sessions,
        DeadlineInPast,
        lambda s: cases.set_deadline(s, COORDINATOR, REF, NOW - timedelta(hours=1), now=NOW),
    )
    assert "passed" in error.message()


def test_a_deadline_equal_to_now_counts_as_past(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    refused(
        sessions, DeadlineInPast, lambda s: cases.set_deadline(s, COORDINATOR, REF, NOW, now=NOW)
    )


# --- publishing --------------------------------------------------------------------------


def test_publishing_a_ready_draft_makes_it_active_and_queues_a_new_alert(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
        alert = cases.publish(session, COORDINATOR, REF.lower(), now=NOW)
    case = _case(sessions)
    assert (case.status, case.published_at, case.last_update_at) == ("active", NOW, NOW)
    with sessions() as session:
        stored = session.get(Alert, alert.id)
        assert stored is not None
        assert (stored.kind, stored.case_id, stored.created_by) == (
            "new",
            case.id,
            COORDINATOR.user_id,
        )
        assert REF in stored.texts["en"]


@pytest.mark.parametrize("missing", ["people", "targets", "deadline"])
def test_publishing_a_draft_that_lacks_something_is_refused_naming_it(
    sessions: sessionmaker[Session], missing: str
) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False, deadline=None if missing == "deadline" else DEADLINE)
        if missing != "people":
            cases.add_person(session, COORDINATOR, REF, person())
        if missing != "targets":
            cases.add_target(session, COORDINATOR, REF, target())
    error = refused(sessions, CaseNotReady, lambda s: cases.publish(s, COORDINATOR, REF, now=NOW))
    assert error.params["missing"] == [missing]
    assert missing in error.message("en")


def test_publishing_an_empty_draft_names_everything_missing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF, ready=False)
    error = refused(sessions, CaseNotReady, lambda s: cases.publish(s, COORDINATOR, REF, now=NOW))
    assert error.params["missing"] == ["people", "targets", "deadline"]


def test_publishing_twice_is_refused_and_changes_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
    error = refused(
        sessions, AlreadyPublished, lambda s: cases.publish(s, COORDINATOR, REF, now=NOW)
    )
    assert "/update" in error.message()


def test_publishing_a_closed_case_is_refused_and_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        closed(session, REF)
    refused(sessions, CaseClosed, lambda s: cases.publish(s, COORDINATOR, REF, now=NOW))


def test_publishing_after_the_deadline_has_passed_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    refused(
        sessions,
        DeadlineInPast,
        lambda s: cases.publish(s, COORDINATOR, REF, now=DEADLINE + timedelta(seconds=1)),
    )


# --- further information and closing ----------------------------------------------------


def test_further_information_keeps_the_case_active_and_numbers_the_updates(
    sessions: sessionmaker[Session],
) -> None:
    later = NOW + timedelta(days=1)
    with sessions.begin() as session:
        active(session, REF)
        cases.further_information(session, COORDINATOR, REF, "Moved to a new prison.", now=NOW)
        alert = cases.further_information(
            session, COORDINATOR, REF, "Trial set.", internal_note="from lawyer", now=later
        )
    case = _case(sessions)
    assert (case.status, case.fi_count, case.last_update_at) == ("active", 2, later)
    assert alert.kind == "further_information"
    assert "Trial set." in alert.texts["en"]
    assert "from lawyer" not in alert.texts["en"]


def test_further_information_on_a_draft_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    error = refused(
        sessions,
        CaseNotActive,
        lambda s: cases.further_information(s, COORDINATOR, REF, "News", now=NOW),
    )
    assert "/publish" in error.message()


def test_further_information_on_a_closed_case_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        closed(session, REF)
    refused(
        sessions,
        CaseClosed,
        lambda s: cases.further_information(s, COORDINATOR, REF, "News", now=NOW),
    )


def test_further_information_without_text_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
    refused(
        sessions,
        InvalidValue,
        lambda s: cases.further_information(s, COORDINATOR, REF, "  ", now=NOW),
    )


def test_closing_an_active_case_records_the_outcome_and_queues_a_closed_alert(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, REF)
        alert = cases.close(session, COORDINATOR, REF, " Released ", "She is free.", now=NOW)
    case = _case(sessions)
    assert (case.status, case.outcome) == ("closed", "released")
    assert alert.kind == "closed"
    assert "She is free." in alert.texts["en"]


def test_closing_with_an_unknown_outcome_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
    error = refused(
        sessions,
        UnknownOutcome,
        lambda s: cases.close(s, COORDINATOR, REF, "forgotten", "text", now=NOW),
    )
    assert "charges_dropped" in error.message()


def test_closing_a_draft_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    refused(
        sessions,
        CaseNotActive,
        lambda s: cases.close(s, COORDINATOR, REF, "released", "t", now=NOW),
    )


def test_closing_a_closed_case_again_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        closed(session, REF)
    refused(
        sessions, CaseClosed, lambda s: cases.close(s, COORDINATOR, REF, "sentenced", "t", now=NOW)
    )


@pytest.mark.parametrize(
    "request_",
    [
        lambda s: cases.add_person(s, COORDINATOR, REF, person()),
        lambda s: cases.edit_person(s, COORDINATOR, REF, 1, age=40),
        lambda s: cases.change_person_status(s, COORDINATOR, REF, 1, "released"),
        lambda s: cases.add_target(s, COORDINATOR, REF, target()),
        lambda s: cases.set_deadline(s, COORDINATOR, REF, DEADLINE + timedelta(days=1), now=NOW),
    ],
    ids=["add-person", "edit-person", "person-status", "add-target", "deadline"],
)
def test_a_closed_case_can_no_longer_be_changed(
    sessions: sessionmaker[Session], request_: Request
) -> None:
    with sessions.begin() as session:
        closed(session, REF)
    refused(sessions, CaseClosed, request_)


def test_the_whole_lifecycle_is_on_the_timeline_in_order(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        active(session, REF)
        cases.further_information(session, COORDINATOR, REF, "News", now=NOW)
        cases.close(session, COORDINATOR, REF, "released", "Free", now=NOW)
    with sessions() as session:
        kinds = session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)).all()
    assert kinds == [
        "created",
        "person_added",
        "target_added",
        "published",
        "further_information",
        "closed",
    ]


# --- unknown references and who may see what ------------------------------------------


UNKNOWN = "KZ-2026-999"
BY_REFERENCE: dict[str, Request] = {
    "get": lambda s: cases.get_case(s, UNKNOWN),
    "visible": lambda s: cases.visible_case(s, UNKNOWN),
    "add-person": lambda s: cases.add_person(s, COORDINATOR, UNKNOWN, person()),
    "edit-person": lambda s: cases.edit_person(s, COORDINATOR, UNKNOWN, 1, age=3),
    "person-status": lambda s: cases.change_person_status(s, COORDINATOR, UNKNOWN, 1, "missing"),
    "add-target": lambda s: cases.add_target(s, COORDINATOR, UNKNOWN, target()),
    "deadline": lambda s: cases.set_deadline(s, COORDINATOR, UNKNOWN, DEADLINE, now=NOW),
    "publish": lambda s: cases.publish(s, COORDINATOR, UNKNOWN, now=NOW),
    "update": lambda s: cases.further_information(s, COORDINATOR, UNKNOWN, "x", now=NOW),
    "close": lambda s: cases.close(s, COORDINATOR, UNKNOWN, "released", "x", now=NOW),
}


@pytest.mark.parametrize("request_", BY_REFERENCE.values(), ids=BY_REFERENCE.keys())
def test_an_unknown_reference_is_refused_naming_it(
    sessions: sessionmaker[Session], request_: Request
) -> None:
    with sessions.begin() as session:
        active(session, REF)
    error = refused(sessions, UnknownCase, request_)
    assert UNKNOWN in error.message()


def test_references_are_matched_ignoring_case_and_spaces(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    with sessions() as session:
        assert cases.get_case(session, "  kz-2026-101 ").ref == REF


def test_subscribers_cannot_see_a_draft_and_cannot_tell_it_exists(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    with sessions() as session, pytest.raises(UnknownCase) as hidden:
        cases.visible_case(session, REF)
    with sessions() as session, pytest.raises(UnknownCase) as missing:
        cases.visible_case(session, UNKNOWN)
    assert hidden.value.message() == missing.value.message().replace(UNKNOWN, REF)


def test_active_and_closed_cases_are_visible_to_subscribers(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, "KZ-2026-101")
        closed(session, "KZ-2026-102")
    with sessions() as session:
        assert cases.visible_case(session, "KZ-2026-101").status == "active"
        assert cases.visible_case(session, "KZ-2026-102").status == "closed"


def test_the_default_case_list_shows_only_active_cases_by_deadline(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        active(session, "KZ-2026-101", deadline=DEADLINE + timedelta(days=2))
        active(session, "KZ-2026-102", deadline=DEADLINE)
        draft(session, "KZ-2026-103")
        closed(session, "KZ-2026-104")
    with sessions() as session:
        assert [c.ref for c in cases.list_cases(session)] == ["KZ-2026-102", "KZ-2026-101"]
        assert cases.count_cases(session) == 2
        assert cases.count_cases(session, statuses=("draft", "active", "closed")) == 4


# --- who may change cases ---------------------------------------------------------------


MUTATIONS: dict[str, Request] = {
    "create": lambda s: cases.create_case(s, PLAIN, title="T", country="KZ", now=NOW),
    "add-person": lambda s: cases.add_person(s, PLAIN, REF, person()),
    "edit-person": lambda s: cases.edit_person(s, PLAIN, REF, 1, whereabouts="x"),
    "person-status": lambda s: cases.change_person_status(s, PLAIN, REF, 1, "released"),
    "add-target": lambda s: cases.add_target(s, PLAIN, REF, target()),
    "deadline": lambda s: cases.set_deadline(s, PLAIN, REF, DEADLINE, now=NOW),
    "publish": lambda s: cases.publish(s, PLAIN, REF, now=NOW),
    "update": lambda s: cases.further_information(s, PLAIN, REF, "x", now=NOW),
    "close": lambda s: cases.close(s, PLAIN, REF, "released", "x", now=NOW),
}


@pytest.mark.parametrize("request_", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_a_plain_subscriber_may_not_change_a_case(
    sessions: sessionmaker[Session], request_: Request
) -> None:
    with sessions.begin() as session:
        draft(session, REF)
    error = refused(sessions, NotAllowed, request_)
    assert "coordinators" in error.message()


def test_a_refused_subscriber_is_refused_before_the_reference_is_looked_up(
    sessions: sessionmaker[Session],
) -> None:
    refused(sessions, NotAllowed, lambda s: cases.publish(s, PLAIN, UNKNOWN, now=NOW))


def test_restricted_values_given_to_a_person_never_reach_an_alert(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        draft(session, REF, internal_notes="INTERNAL-NOTE", internal_index="IDX-77")
        cases.add_person(session, COORDINATOR, REF, person("Second", **CANARIES))
        alerts = [
            cases.publish(session, COORDINATOR, REF, now=NOW),
            cases.further_information(session, COORDINATOR, REF, "News", now=NOW),
            cases.close(session, COORDINATOR, REF, "released", "Free", now=NOW),
        ]
    texts = [text for alert in alerts for text in alert.texts.values()]
    assert len(texts) == 9
    for secret in [*CANARIES.values(), "INTERNAL-NOTE", "IDX-77"]:
        assert not any(secret in text for text in texts), secret


def test_creating_a_case_with_a_reference_in_use_is_refused_clearly(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        cases.create_case(session, SYSTEM, ref="KZ-2026-101", title="First", country="KZ")
    with pytest.raises(CaseExists) as refused, sessions.begin() as session:
        cases.create_case(session, SYSTEM, ref="kz-2026-101", title="Second", country="KZ")
    assert "already a case KZ-2026-101" in refused.value.message()
    with sessions() as session:
        assert session.scalars(select(Case.title)).all() == ["First"]


def test_a_person_status_is_read_case_insensitively(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cases.create_case(session, SYSTEM, ref="KZ-2026-102", title="Case", country="KZ")
        person = cases.add_person(
            session, SYSTEM, "KZ-2026-102", PersonInput(name="A", status=" Detained ")
        )
        assert person.status == "detained"
