"""Coordinators and admins through the local Bot API server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import cases, staff
from bot.sandbox.local import RunningServer
from bot.store.models import Alert, AuditEvent, Case, Delivery, Staff, utcnow
from bot.telegram.thread import BotThread
from tests.clock import day, typed_deadline
from tests.telegram.conftest import COORDINATOR, published_case
from tests.telegram.harness import Chat, button_data


def test_publish_shows_the_exact_alert_and_sends_nothing_until_confirmed(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    [preview] = coordinator.say("/publish KZ-2026-001")
    assert "Preview" in preview["text"] and "URGENT ACTION KZ-2026-001" in preview["text"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
    done = coordinator.press_edit(preview, button_data(preview, "ok:"))
    assert "queued for" in done["text"]
    with sessions() as session:
        assert session.scalar(select(Case.status).where(Case.ref == "KZ-2026-001")) == "active"
    [again] = coordinator.press(preview, button_data(preview, "ok:"))
    assert "This button has expired" in again["text"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 1


def test_cancel_leaves_the_case_a_draft(coordinator: Chat, sessions: sessionmaker[Session]) -> None:
    [preview] = coordinator.say("/publish KZ-2026-002")
    cancelled = coordinator.press_edit(preview, button_data(preview, "no:"))
    assert "nothing was sent" in cancelled["text"]
    with sessions() as session:
        assert session.scalar(select(Case.status).where(Case.ref == "KZ-2026-002")) == "draft"


def test_update_and_close_queue_alerts_for_followers(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-003")
    [preview] = coordinator.say("/update KZ-2026-003 Hearing moved to 3 December.")
    assert "FURTHER INFORMATION 1 on KZ-2026-003" in preview["text"]
    assert "Hearing moved to 3 December." in preview["text"]
    coordinator.press_edit(preview, button_data(preview, "ok:"))
    [closing] = coordinator.say("/close KZ-2026-003 charges_dropped Charges were dropped.")
    assert "CASE CLOSED KZ-2026-003" in closing["text"] and "charges dropped" in closing["text"]
    coordinator.press_edit(closing, button_data(closing, "ok:"))
    with sessions() as session:
        kinds = session.scalars(select(Alert.kind).order_by(Alert.id)).all()
        assert kinds == ["new", "further_information", "closed"]
        assert session.scalar(select(Case.outcome).where(Case.ref == "KZ-2026-003")) == (
            "charges_dropped"
        )


def test_people_targets_deadline_and_status_are_edited_and_audited(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    assert "Added person 2" in coordinator.text("/addperson KZ-2026-001 detained Serik Agadil")
    assert "Added copy target" in coordinator.text(
        "/addtarget KZ-2026-001 copy Ambassador; Demo Ambassador; amb@example.org"
    )
    assert "18:00" in coordinator.text(f"/deadline KZ-2026-001 {typed_deadline(365)}")
    assert "released" in coordinator.text("/status KZ-2026-001 2 released")
    with sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == COORDINATOR)
        ).all()
    assert actions == ["person.add", "target.add", "case.deadline", "person.status"]


def test_stats_counts_queue_and_actions(
    coordinator: Chat, chat: Chat, sessions: sessionmaker[Session]
) -> None:
    chat.say("/follow all")
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-001")
    chat.say("/acted KZ-2026-001")
    stats = coordinator.text("/stats KZ-2026-001")
    assert "Subscribers reached: 1" in stats and "Actions taken: 1" in stats
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_newcase_guides_reasks_and_saves_a_draft(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    assert "Step 1/7" in coordinator.text("/newcase")
    assert "3 to 200 characters" in coordinator.text("x")
    assert "Step 2/7" in coordinator.text("Journalist detained in Almaty")
    assert "not a country code" in coordinator.text("Kazakhstan")
    assert "Step 3/7" in coordinator.text("KZ")
    assert "Step 4/7" in coordinator.text("A journalist was detained after covering a protest.")
    assert "Add at least one person" in coordinator.text("done")
    assert "Write a status and a name" in coordinator.text("Aigerim")
    assert "Added: 1" in coordinator.text("detained Aigerim N.")
    assert "Step 5/7" in coordinator.text("done")
    assert "role; title; name" in coordinator.text("boss; x")
    coordinator.say("primary; Prosecutor General; Demo Prosecutor; pg@example.org")
    assert "Step 6/7" in coordinator.text("done")
    assert "already passed" in coordinator.text(day(-1))
    assert "Step 7/7" in coordinator.text(typed_deadline(365))
    assert "Use language codes" in coordinator.text("french")
    [preview] = coordinator.say("kk ru en")
    assert "Journalist detained in Almaty" in preview["text"]
    saved = coordinator.press_edit(preview, "newcase:save")
    assert "Saved as draft KZ-" in saved["text"]
    with sessions() as session:
        case = session.scalars(
            select(Case).where(Case.title == "Journalist detained in Almaty")
        ).one()
        assert case.status == "draft" and case.languages == ["kk", "ru", "en"]
        assert len(case.people) == 1 and len(case.case_targets) == 1


def test_newcase_cancel_saves_nothing(coordinator: Chat, sessions: sessionmaker[Session]) -> None:
    coordinator.say("/newcase")
    coordinator.say("A title that will be dropped")
    assert "nothing was saved" in coordinator.text("/cancel")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 4


def test_admin_grants_and_revokes_and_the_menu_follows(
    admin: Chat, server, sessions: sessionmaker[Session]
) -> None:
    assert "User 555 is now a coordinator" in admin.text("/grant 555 coordinator")
    menu = {c["command"] for c in server.control.commands(scope="chat", chat_id=555)}
    assert {"newcase", "publish", "stats"} <= menu and "grant" not in menu
    assert "no longer has a staff role" in admin.text("/revoke 555")
    with sessions() as session:
        assert session.get(Staff, 555) is None
    default = {c["command"] for c in server.control.commands(scope="default")}
    assert "cases" in default and "publish" not in default


def test_audit_lists_the_case_history_for_admins(
    admin: Chat, coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    # A case of its own: a seed case's first fifty events are the texts its document imported.
    ref = published_case(sessions, title="Audited case")
    coordinator.say(f"/deadline {ref} {day(365)}")
    text = admin.text(f"/audit {ref}")
    assert "case.deadline" in text and "case.create" in text


def test_audit_shows_a_translation_in_its_own_letters(admin: Chat, coordinator: Chat) -> None:
    coordinator.say("/translate KZ-2026-001 kk title Ағаділдің отбасы аңдуда")
    text = admin.text("/audit KZ-2026-001")
    assert "Ағаділдің отбасы аңдуда" in text and "\\u" not in text


def test_a_forged_confirmation_token_has_expired(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    [preview] = coordinator.say("/publish KZ-2026-001")
    [answer] = coordinator.press(preview, "ok:not-a-real-token")
    assert "This button has expired" in answer["text"]
    with sessions() as session:
        assert session.scalar(select(Case.status).where(Case.ref == "KZ-2026-001")) == "draft"


def _further_information(sessions: sessionmaker[Session]) -> list[str]:
    """The English text of each further information queued, oldest first."""
    with sessions() as session:
        texts = session.scalars(
            select(Alert.texts).where(Alert.kind == "further_information").order_by(Alert.id)
        )
        return [t["en"] for t in texts]


def test_an_older_preview_sends_nothing_once_a_newer_one_was_made(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-002")
    [version_a] = coordinator.say("/update KZ-2026-002 Version A")
    [version_b] = coordinator.say("/update KZ-2026-002 Version B, corrected")
    coordinator.press_edit(version_b, button_data(version_b, "ok:"))
    [answer] = coordinator.press(version_a, button_data(version_a, "ok:"))
    assert "no longer stands" in answer["text"] and "Nothing was sent" in answer["text"]
    [sent] = _further_information(sessions)
    assert "Version B, corrected" in sent and "Version A" not in sent


def test_a_confirmation_dies_with_a_revoke_even_after_a_new_grant(
    admin: Chat, coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-002")
    [preview] = coordinator.say("/update KZ-2026-002 Made before the revoke")
    admin.say(f"/revoke {COORDINATOR}")
    admin.say(f"/grant {COORDINATOR} coordinator")
    [answer] = coordinator.press(preview, button_data(preview, "ok:"))
    assert "no longer stands" in answer["text"]
    assert _further_information(sessions) == []


def test_a_confirmation_older_than_an_hour_sends_nothing(
    bot: BotThread, coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-002")
    [preview] = coordinator.say("/update KZ-2026-002 Said an hour ago")
    services = bot.application.bot_data.services
    services.clock = lambda: utcnow() + timedelta(hours=1, minutes=1)
    [answer] = coordinator.press(preview, button_data(preview, "ok:"))
    assert "no longer stands" in answer["text"]
    assert _further_information(sessions) == []


def test_a_fresh_confirmation_still_sends(
    bot: BotThread, coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    # The other side of the hour: 59 minutes on, the preview stands.
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-002")
    [preview] = coordinator.say("/update KZ-2026-002 Said 59 minutes ago")
    services = bot.application.bot_data.services
    services.clock = lambda: utcnow() + timedelta(minutes=59)
    coordinator.press_edit(preview, button_data(preview, "ok:"))
    [sent] = _further_information(sessions)
    assert "Said 59 minutes ago" in sent


def test_a_reply_lost_after_the_commit_never_says_nothing_was_changed(
    server: RunningServer, coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    # Every sendMessage is delivered and then left unanswered, as when Telegram times out.
    server.control.configure(lost_rate=1.0)
    sent = coordinator.say(f"/deadline KZ-2026-001 {typed_deadline(30)}", expect=2)
    texts = [m["text"] for m in sent]
    assert any("Deadline" in t for t in texts)  # the reply itself got through
    assert any("was carried out" in t and "do not repeat it" in t for t in texts)
    assert not any("nothing was changed" in t for t in texts)
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "case.deadline")
            )
            == 1
        )

    # Whether that notice reached them is unknown too: the next answer leads with it.
    server.control.configure(lost_rate=0.0)
    first, *_ = coordinator.say("/stats KZ-2026-001", expect=2)
    assert "was carried out" in first["text"]
    [later] = coordinator.say("/stats KZ-2026-001")
    assert "was carried out" not in later["text"]


def test_an_over_long_update_is_refused_at_preview_with_its_length_and_the_limit(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-002")
    [answer] = coordinator.say("/update KZ-2026-002 " + "x" * 5370)
    assert "5370 characters long" in answer["text"] and "at most 3000" in answer["text"]
    assert not answer.get("reply_markup")  # no Confirm to press
    assert _further_information(sessions) == []


def test_drafts_lists_unpublished_cases_with_buttons_that_open_them(coordinator: Chat) -> None:
    [listing] = coordinator.say("/drafts")
    assert "Drafts (4)" in listing["text"] and "KZ-2026-001" in listing["text"]
    [card] = coordinator.press(listing, button_data(listing, "case:KZ-2026-002"))
    assert "KZ-2026-002" in card["text"] and "[draft" in card["text"]


def test_staff_get_a_staff_welcome_and_a_complete_help(coordinator: Chat) -> None:
    assert "you are a coordinator" in coordinator.text("/start")
    text = coordinator.text("/help")
    for command in ("/drafts", "/letter_set", "/letters_zip", "/person", "/watch", "/unwatch"):
        assert command in text


def test_a_subscriber_trying_a_staff_command_is_answered_calmly(chat: Chat) -> None:
    answer = chat.text("/publish KZ-2026-001")
    assert "This command is for coordinators" in answer
    assert "recorded" not in answer


def test_the_same_update_again_within_half_an_hour_is_flagged_before_confirming(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-002")
    [first] = coordinator.say("/update KZ-2026-002 Hearing moved to Monday.")
    assert "went out" not in first["text"]
    coordinator.press_edit(first, button_data(first, "ok:"))
    warning, preview = coordinator.say("/update KZ-2026-002 Hearing moved to Monday.", expect=2)
    assert "went out" in warning["text"] and "second time" in warning["text"]
    assert "Hearing moved to Monday." in preview["text"] and button_data(preview, "ok:")
    [other] = coordinator.say("/update KZ-2026-002 Hearing moved to Tuesday.")
    assert "went out" not in other["text"]


def test_every_case_field_is_edited_from_the_phone_and_the_source_action_shows(
    coordinator: Chat, chat: Chat, sessions: sessionmaker[Session]
) -> None:
    [fields] = coordinator.say("/editcase KZ-2026-002")
    assert "tap a field" in fields["text"]
    themes = coordinator.press_edit(fields, "ec:KZ-2026-002:themes")
    assert "Tap to add or remove" in themes["text"]
    toggled = coordinator.press_edit(themes, "th:KZ-2026-002:torture")
    assert "✅ torture" in str(toggled["reply_markup"])
    form = coordinator.press(fields, "ec:KZ-2026-002:languages")[0]["text"]
    assert "/editcase KZ-2026-002 languages" in form and "kk" in form
    saved = coordinator.text("/editcase KZ-2026-002 source_ref UA 123/26")
    assert "Saved for KZ-2026-002" in saved and "UA 123/26" in saved
    coordinator.say("/editcase KZ-2026-002 source_url https://www.amnesty.org/en/documents/")
    assert "not valid" in coordinator.text("/editcase KZ-2026-002 source_url ftp://x")
    assert "Saved" in coordinator.text("/editcase KZ-2026-002 themes detention, torture")
    secret = coordinator.text("/editcase KZ-2026-002 internal_notes INTERNAL-lawyer-is-Ivanov")
    assert "Saved" in secret and "INTERNAL-lawyer-is-Ivanov" not in secret
    with sessions.begin() as session:
        case = cases.get_case(session, "KZ-2026-002")
        assert case.themes == ["detention", "torture"]
        assert case.internal_notes == "INTERNAL-lawyer-is-Ivanov"
        cases.publish(session, staff.SYSTEM, "KZ-2026-002")
    card = chat.text("/case KZ-2026-002")
    assert "Relays urgent action UA 123/26: https://www.amnesty.org/en/documents/" in card
    assert "Issued " in card and "INTERNAL" not in card


def test_closed_lists_the_cases_that_have_ended(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    assert "No case has ended yet." in coordinator.text("/closed")
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-003")
        cases.close(session, staff.SYSTEM, "KZ-2026-003", "released", "Freed today.")
    [listing] = coordinator.say("/closed")
    assert "1 case has ended" in listing["text"] and "KZ-2026-003" in listing["text"]
    [card] = coordinator.press(listing, button_data(listing, "case:KZ-2026-003"))
    assert "This urgent action has ended" in card["text"]


def test_outcomes_and_roles_are_picked_from_buttons_in_the_readers_language(
    coordinator: Chat, admin: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        cases.publish(session, staff.SYSTEM, "KZ-2026-002")
    coordinator.language = "ru"
    [question] = coordinator.say("/close KZ-2026-002")
    assert "Выберите итог" in question["text"]
    labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert len(labels) == 5 and all("_" not in label for label in labels)  # no raw keywords
    form = coordinator.press_edit(question, "co:KZ-2026-002:released")
    assert "/close KZ-2026-002 released" in form["text"]
    [roles] = admin.say("/grant 555")
    granted = admin.press_edit(roles, "gr:555:coordinator")
    assert "User 555 is now a coordinator" in granted["text"]
    with sessions() as session:
        assert session.get(Staff, 555) is not None


def test_a_target_is_edited_field_by_field_and_its_role_from_buttons(
    coordinator: Chat, sessions: sessionmaker[Session]
) -> None:
    [fields] = coordinator.say("/edittarget KZ-2026-001 1")
    assert "Tap a field" in fields["text"]
    [roles] = coordinator.press(fields, "et:KZ-2026-001:1:role")
    saved = coordinator.press_edit(roles, button_data(roles, "tr:KZ-2026-001:1:copy"))
    assert "target 1, Role: copy" in saved["text"]
    text = coordinator.text("/edittarget KZ-2026-001 1 salutation Dear Prosecutor General,")
    assert "Salutation: Dear Prosecutor General," in text
    assert "not valid" in coordinator.text("/edittarget KZ-2026-001 1 email a@b.c\nBcc: x@y.z")
    assert "no target number 9" in coordinator.text("/edittarget KZ-2026-001 9 name X")
    with sessions() as session:
        link = cases.get_target(cases.get_case(session, "KZ-2026-001"), 1)
        assert (link.role, link.target.salutation) == ("copy", "Dear Prosecutor General,")
