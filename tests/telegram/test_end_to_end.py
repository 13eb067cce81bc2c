"""The issue's end-to-end run: a coordinator creates the Agadil case with /newcase and
publishes it; subscribers with different scopes get it or don't; one fetches the letter and
acts twice; /stats shows one action. The delivery worker runs inside the bot's process, as
`uabot run` runs it, and every message crosses HTTP through the local Bot API server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import staff
from bot.sandbox.local import RunningServer, WaitTimedOut
from bot.telegram.thread import BotThread
from tests.clock import typed_deadline
from tests.live import live_application
from tests.telegram.conftest import COORDINATOR, TOKEN, published_case
from tests.telegram.harness import Chat, as_seen, button_data, buttons


@pytest.fixture
def live_bot(
    server: RunningServer, sessions: sessionmaker[Session], engine: Engine
) -> Iterator[BotThread]:
    with sessions.begin() as session:
        staff.grant(session, staff.SYSTEM, COORDINATOR, "coordinator")
    published_case(sessions, title="Another case", country="KG")
    application = live_application(TOKEN, server, sessions, engine)
    with BotThread(application) as running:
        yield running


def _create_agadil_case(coordinator: Chat) -> str:
    for answer in (
        "/newcase",
        "Family of Dulat Agadil under surveillance",
        "KZ",
        "The sons of activist Dulat Agadil are under surveillance for reporting "
        "his death in custody to the EU.",
        "under_surveillance The family of Dulat Agadil",
        "done",
        "primary; Prosecutor General; Demo Prosecutor; pg@example.org",
        "copy; Head of the Presidential Administration; Demo Head",
        "done",
        typed_deadline(90),
    ):
        coordinator.say(answer)
    [preview] = coordinator.say("kk ru en")
    saved = coordinator.press_edit(preview, "newcase:save")
    return saved["text"].split("draft ")[1].split(".")[0]


def test_a_case_travels_from_newcase_to_subscribers_and_back_to_stats(
    live_bot: BotThread, server: RunningServer
) -> None:
    control = server.control
    follows_all, follows_kz, follows_other = (Chat(control, uid) for uid in (11, 12, 13))
    follows_all.say("/follow all")
    follows_kz.say("/follow country KZ")
    follows_other.say("/follow KG-2026-001")
    coordinator = Chat(control, COORDINATOR)

    ref = _create_agadil_case(coordinator)
    [preview] = coordinator.say(f"/publish {ref}")
    queued = coordinator.press_edit(preview, button_data(preview, "ok:"))
    assert "queued for 2 subscribers" in queued["text"]

    for chat in (follows_all, follows_kz):
        [alert] = [
            m
            for m in control.wait(chat.user_id, count=2, timeout=10)
            if "URGENT ACTION" in m["plain_text"]
        ]
        assert ref in alert["plain_text"]
    with pytest.raises(WaitTimedOut):
        control.wait(follows_other.user_id, count=2, timeout=1.0)

    alert = follows_all.as_seen_last()
    # the text, the PDF, the .eml (no one-tap e-mail page here), the calls to act
    letters = follows_all.press(alert, button_data(alert, "letter:"), expect=4, timeout=30)
    assert letters[1]["document"]["file_name"].endswith(".pdf")
    follows_all.press(alert, button_data(alert, "acted:"))
    [again] = follows_all.press(alert, button_data(alert, "acted:"))
    assert "You already told us" in again["text"]
    assert "Actions taken: 1" in coordinator.text(f"/stats {ref}")


def test_the_publish_preview_is_byte_for_byte_the_alert_subscribers_get(
    live_bot: BotThread, server: RunningServer
) -> None:
    control = server.control
    subscriber = Chat(control, 21)
    subscriber.say("/follow all")
    # A reader in the case's own time zone: anyone else also gets the deadline in their time.
    subscriber.say("/settings tz Asia/Almaty")
    coordinator = Chat(control, COORDINATOR)
    ref = _create_agadil_case(coordinator)
    since = subscriber.last_id()
    [preview] = coordinator.say(f"/publish {ref}")
    coordinator.press_edit(preview, button_data(preview, "ok:"))
    [alert] = [as_seen(m) for m in control.wait(subscriber.user_id, since=since, timeout=10)]
    # The same HTML source, so the same formatting, and the same words as the person reads them
    assert alert["html"] in preview["html"]
    assert alert["text"] in preview["text"]
    assert "&lt;" not in preview["html"] and "<b>" not in preview["text"]


def test_closed_is_closed_and_who_acted_hears_the_outcome(
    live_bot: BotThread, server: RunningServer, sessions: sessionmaker[Session]
) -> None:
    control = server.control
    ref = published_case(sessions, title="Journalist detained", person="Aigerim")
    supporter = Chat(control, 31)  # acts from the case card, never taps Follow
    [card] = supporter.say(f"/case {ref}")
    supporter.press(card, button_data(card, "acted:"))
    coordinator = Chat(control, COORDINATOR)
    [preview] = coordinator.say(f"/close {ref} died_in_custody She died in pre-trial detention.")
    since = supporter.last_id()
    coordinator.press_edit(preview, button_data(preview, "ok:"))

    [closing] = [as_seen(m) for m in control.wait(supporter.user_id, since=since, timeout=10)]
    assert f"CASE CLOSED {ref}" in closing["text"] and "died in custody" in closing["text"]
    assert "please send no further appeals" in closing["text"]
    assert "✅" not in closing["text"]  # no tick for a death in custody

    [closed_card] = supporter.say(f"/case {ref}")
    assert "This urgent action has ended" in closed_card["text"]
    assert "She died in pre-trial detention." in closed_card["text"]
    assert "Act before" not in closed_card["text"] and "Write to" not in closed_card["text"]
    assert set(buttons(closed_card).values()) == {f"more:{ref}", f"history:{ref}"}

    # The buttons of the card seen before the close still sit in the chat.
    for verb in ("letter:", "acted:"):
        [answer] = supporter.press(card, button_data(card, verb))
        assert "has ended" in answer["text"] and "no further appeals" in answer["text"]
        assert "/publish" not in answer["text"] and not answer.get("document")


def test_a_renewed_call_opens_a_round_in_which_supporters_act_again(
    live_bot: BotThread, server: RunningServer, sessions: sessionmaker[Session]
) -> None:
    control = server.control
    ref = published_case(sessions, title="Trial of a journalist", person="Serik")
    supporter = Chat(control, 41)
    supporter.say(f"/follow {ref}")
    supporter.say("/settings tz Asia/Almaty")  # the case's zone: the preview's own text
    supporter.say(f"/acted {ref}")
    assert "already told us" in supporter.text(f"/acted {ref}")
    coordinator = Chat(control, COORDINATOR)
    [preview] = coordinator.say(f"/renew {ref} The trial starts on Monday: write to the court.")
    assert "The call to act is renewed" in preview["text"]
    since = supporter.last_id()
    coordinator.press_edit(preview, button_data(preview, "ok:"))
    [alert] = [as_seen(m) for m in control.wait(supporter.user_id, since=since, timeout=10)]
    assert "The call to act is renewed" in alert["text"]
    assert alert["html"] in preview["html"]  # what was previewed is what arrived

    assert "already told us" not in supporter.text(f"/acted {ref}")  # round 2: counts again
    stats = coordinator.text(f"/stats {ref}")
    assert "Actions taken: 2 (round 1: 1, round 2: 1)" in stats
