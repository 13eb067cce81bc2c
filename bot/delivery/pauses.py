"""Long pauses Telegram asks for, kept in the database (`delivery_pauses`).

A 429 with a `retry_after` of a minute or more is written down, so that a sender restarted
during it waits it out instead of asking again at once (Telegram lengthens the pause of a
bot that does). A pause longer than five minutes is announced to every staff member, and
its end too, as private notices in the outbox (at the top of it: bot/store/urgency.py).
No telegram import here: plain SQL over the store.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain import alerts, scheduled
from bot.languages import LANGUAGES
from bot.store.models import Alert, DeliveryPause, Staff
from bot.texts import render

LONG_PAUSE = 60.0  # seconds: kept in the database from this long
ANNOUNCED_PAUSE = 300.0  # seconds: staff are told from this long
PAUSED = "delivery_paused"
RESUMED = "delivery_resumed"


def record(session: Session, bot_id: int, retry_after: float, now: datetime) -> bool:
    """Keep a pause of `retry_after` seconds from `now`; True when staff were told of it."""
    until = now + timedelta(seconds=retry_after)
    pause = session.get(DeliveryPause, bot_id, with_for_update=True)
    if pause is None:
        pause = DeliveryPause(bot_id=bot_id, paused_until=until, retry_after=int(retry_after))
        session.add(pause)
    elif until > pause.paused_until:
        pause.paused_until, pause.retry_after = until, int(retry_after)
    if pause.announced or retry_after < ANNOUNCED_PAUSE:
        session.flush()
        return False
    pause.announced = True
    session.flush()
    _notify(session, PAUSED, now, until=pause.paused_until, minutes=_minutes(retry_after))
    return True


def remaining(session: Session, bot_id: int, now: datetime) -> float:
    """Seconds of a kept pause still to wait (0: none)."""
    until = session.scalar(select(DeliveryPause.paused_until).where(DeliveryPause.bot_id == bot_id))
    return max(0.0, (until - now).total_seconds()) if until else 0.0


def end(session: Session, bot_id: int, now: datetime) -> bool:
    """Sends go through again: forget the pause; True when staff were told it ended."""
    pause = session.get(DeliveryPause, bot_id, with_for_update=True)
    if pause is None or pause.paused_until > now:
        return False
    session.execute(delete(DeliveryPause).where(DeliveryPause.bot_id == bot_id))
    if pause.announced:
        _notify(session, RESUMED, now)
    return pause.announced


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def _notify(session: Session, kind: str, now: datetime, **context: object) -> None:
    """One alert, a pending delivery to each staff member's private chat."""
    texts = {lang: render(f"alerts/{kind}.html", lang, **context) for lang in LANGUAGES}
    alert = Alert(case_id=None, kind=kind, texts=texts, created_at=now)
    session.add(alert)
    session.flush()
    user_ids = list(session.scalars(select(Staff.user_id)))
    alerts.queue_to(session, alert, scheduled.subscribers_of(session, user_ids), now)
