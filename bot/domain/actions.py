"""'I took action', once per subscriber per case, and the per-case tallies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.cases import get_case, visible_case
from bot.domain.errors import ActionEnded, CaseNotActive, InvalidValue
from bot.domain.subscriptions import ensure_subscriber
from bot.store.db import savepoint
from bot.store.models import ACTION_HOWS, Action, Alert, Case, Delivery, Subscriber, utcnow


@dataclass(frozen=True)
class ActionResult:
    case_ref: str
    created: bool
    tally: int


@dataclass(frozen=True)
class CaseStats:
    ref: str
    status: str
    reached: int
    delivered: int
    pending: int
    held: int
    failed: int
    blocked: int
    gone: int
    actions: int
    rounds: tuple[int, ...] = ()  # actions in round 1, 2…; empty while there is one round


def tally(session: Session, case_id: int) -> int:
    return session.scalar(select(func.count()).where(Action.case_id == case_id)) or 0


def open_for_action(session: Session, ref: str) -> Case:
    """A case a supporter may still act on; a closed one says the action has ended."""
    case = visible_case(session, ref, whole=False)
    if case.status == "closed":
        raise ActionEnded(ref=case.ref)
    if case.status != "active":
        raise CaseNotActive(ref=case.ref)
    return case


def record_action(
    session: Session, chat_id: int, ref: str, how: str = "other", now: datetime | None = None
) -> ActionResult:
    """Idempotent: a second tap, even a concurrent one, counts once (the unique rule decides)."""
    if how not in ACTION_HOWS:
        raise InvalidValue(field="how", limit=0, allowed=ACTION_HOWS)
    case = open_for_action(session, ref)
    subscriber = ensure_subscriber(session, chat_id)
    existing = session.scalar(
        select(Action.id).where(
            Action.case_id == case.id,
            Action.subscriber_id == subscriber.id,
            Action.round == case.round,
        )
    )
    created = False
    if existing is None:
        try:
            with savepoint(session):
                session.add(
                    Action(
                        case_id=case.id,
                        subscriber_id=subscriber.id,
                        how=how,
                        round=case.round,
                        at=now or utcnow(),
                    )
                )
            created = True
        except IntegrityError:
            created = False
    return ActionResult(case.ref, created, tally(session, case.id))


def set_how(session: Session, chat_id: int, ref: str, how: str, now: datetime | None = None) -> str:
    """How the supporter acted, told after "I took action": it refines the action already
    counted (recorded now if that first tap was lost); the case's reference back."""
    if how not in ACTION_HOWS:
        raise InvalidValue(field="how", limit=0, allowed=ACTION_HOWS)
    result = record_action(session, chat_id, ref, how, now)
    case = visible_case(session, result.case_ref, whole=False)
    subscriber = ensure_subscriber(session, chat_id)
    action = session.scalars(
        select(Action).where(
            Action.case_id == case.id,
            Action.subscriber_id == subscriber.id,
            Action.round == case.round,
        )
    ).one()
    action.how = how
    return case.ref


def case_stats(session: Session, ref: str) -> CaseStats:
    case = get_case(session, ref)
    counts = dict(
        session.execute(
            select(Delivery.status, func.count())
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Alert.case_id == case.id)
            .group_by(Delivery.status)
        ).all()
    )
    failures = dict(
        session.execute(
            select(Subscriber.status, func.count(func.distinct(Subscriber.id)))
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Alert.case_id == case.id, Delivery.status == "failed")
            .group_by(Subscriber.status)
        ).all()
    )
    reached = (
        session.scalar(
            select(func.count(func.distinct(Delivery.subscriber_id)))
            .join(Alert, Alert.id == Delivery.alert_id)
            .where(Alert.case_id == case.id)
        )
        or 0
    )
    return CaseStats(
        ref=case.ref,
        status=case.status,
        reached=reached,
        delivered=counts.get("sent", 0),
        pending=counts.get("pending", 0),
        held=counts.get("held", 0),
        failed=counts.get("failed", 0),
        blocked=failures.get("blocked", 0),
        gone=failures.get("gone", 0),
        actions=tally(session, case.id),
        rounds=_per_round(session, case) if case.round > 1 else (),
    )


def _per_round(session: Session, case: Case) -> tuple[int, ...]:
    counts = dict(
        session.execute(
            select(Action.round, func.count())
            .where(Action.case_id == case.id)
            .group_by(Action.round)
        ).all()
    )
    return tuple(counts.get(n, 0) for n in range(1, case.round + 1))
