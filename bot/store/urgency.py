"""How urgent a queued message is: the order the outbox is drained in.

One number per delivery row (`deliveries.urgency`), so that one index walks the outbox in
that order: its class, then its case's deadline (nearest first; none last).

1. closing notices and deadline reminders;
2. new alerts and further information;
3. digests;
4. notices to staff (watch news, a failing source, a deadline passed, a stale case).

Replies to people are not queued: they go ahead of everything in the pacer
(bot/delivery/limiter.py). So that nothing waits for ever behind a long broadcast, the sender
takes a share of its batches from the less urgent classes first (`SHARE_SLOTS`).
"""

from __future__ import annotations

from datetime import datetime

URGENT = 1
ALERT = 2
DIGEST = 3
STAFF = 4
CLASSES = (URGENT, ALERT, DIGEST, STAFF)
_SPAN = 10**11  # more seconds than any deadline's Unix time
NO_DEADLINE = _SPAN - 1

KIND_CLASS = {
    # Staff are told at once that broadcasts stopped or started again (bot/delivery/pauses.py).
    "delivery_paused": URGENT,
    "delivery_resumed": URGENT,
    "closed": URGENT,
    "deadline_reminder": URGENT,
    "new": ALERT,
    "further_information": ALERT,
    "digest": DIGEST,
    "news": STAFF,
    "source_failing": STAFF,
    "deadline_passed": STAFF,
    "stale": STAFF,
    "retention_notice": STAFF,
}

# Of every 20 batches the sender claims, these start from a less urgent class (the class's
# own rows first, then anything less urgent still, then whatever is most urgent): a minimum
# share of 2 in 20 for alerts, 1 for digests and 2 for staff. The rest go most urgent first.
# fmt: off
SHARE_SLOTS: tuple[int, ...] = (
    URGENT, URGENT, URGENT, URGENT, ALERT, URGENT, URGENT, URGENT, URGENT, STAFF,
    URGENT, URGENT, URGENT, URGENT, ALERT, URGENT, URGENT, URGENT, DIGEST, STAFF,
)
# fmt: on


def urgency(kind: str, deadline: datetime | None) -> int:
    """The delivery's place in the outbox: smaller goes first."""
    seconds = (
        NO_DEADLINE if deadline is None else max(0, min(int(deadline.timestamp()), NO_DEADLINE))
    )
    return KIND_CLASS.get(kind, ALERT) * _SPAN + seconds


def class_floor(cls: int) -> int:
    """The smallest urgency of a class: `urgency >= class_floor(c)` is class c and after."""
    return cls * _SPAN


def class_of(value: int) -> int:
    return value // _SPAN
