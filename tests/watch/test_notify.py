"""News notices in the outbox: one alert per item (the database refuses a second), a pending
delivery per coordinator, buttons that travel with the alert."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import message, outbox
from bot.domain.cases import get_case
from bot.store.models import Delivery, Subscriber, WatchItem, WatchSource
from bot.watch import notify
from tests.watch.conftest import COORDINATOR, REF

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _item(session: Session, key: str) -> tuple[WatchItem, WatchSource]:
    case = get_case(session, REF, whole=False)
    source = session.scalar(select(WatchSource).where(WatchSource.url == "https://e.org/f"))
    if source is None:
        source = WatchSource(case_id=case.id, url="https://e.org/f", added_at=NOW)
        session.add(source)
        session.flush()
    item = WatchItem(source_id=source.id, key=key, title=f"Agadil {key}", status="announced")
    session.add(item)
    session.flush()
    return item, source


def test_a_news_notice_goes_to_the_coordinator_with_its_buttons(
    sessions: sessionmaker[Session], case: str
) -> None:
    with sessions.begin() as session:
        item, source = _item(session, "a")
        alert = notify.queue_news(session, item, source, get_case(session, REF), NOW)
        alert_id, item_id = alert.id, item.id
    with sessions() as session:
        content = outbox.alert_contents(session, [alert_id])[alert_id]
        [chat] = session.scalars(
            select(Subscriber.chat_id).join(Delivery, Delivery.subscriber_id == Subscriber.id)
        )
    assert chat == COORDINATOR and content.case_ref is None  # never counted in /stats
    assert message.text_for(content, "ru").startswith("📰 <b>Новости по делу")
    keyboard = message.buttons_for(content, "ru")
    assert keyboard is not None
    assert [[b.callback_data for b in row] for row in keyboard.inline_keyboard] == [
        [f"wd:{item_id}"],
        [f"wx:{item_id}", f"wm:{item_id}"],
    ]
    assert keyboard.inline_keyboard[0][0].text == "📝 Подготовить доп. информацию"


def test_the_database_refuses_a_second_notice_of_one_item(
    sessions: sessionmaker[Session], case: str
) -> None:
    with sessions.begin() as session:
        item, source = _item(session, "a")
        notify.queue_news(session, item, source, get_case(session, REF), NOW)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        item = session.scalars(select(WatchItem)).one()
        notify.queue_news(session, item, item.source, get_case(session, REF), NOW)


def test_two_checks_making_the_coordinators_row_at_once_both_queue(
    sessions: sessionmaker[Session], case: str, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: two transactions cannot both make the row")
    with sessions.begin() as session:
        _item(session, "a")
        _item(session, "b")
    first = sessions()
    first.begin()
    item = first.scalars(select(WatchItem).where(WatchItem.key == "a")).one()
    notify.queue_news(first, item, item.source, get_case(first, REF), NOW)  # row uncommitted
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with sessions.begin() as session:
                other = session.scalars(select(WatchItem).where(WatchItem.key == "b")).one()
                notify.queue_news(session, other, other.source, get_case(session, REF), NOW)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)  # it waits on the first's uncommitted row
    first.commit()
    first.close()
    thread.join(10)
    assert errors == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 2
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 1
