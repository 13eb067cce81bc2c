"""What uabot counts for an operator's dashboards, with the official prometheus-client.

Counts and durations only: no label ever holds an id, a name, a chat or a text (a label's
values are fixed sets: outcomes, kinds, states, command names). `bot/ops.py` serves them at
`/metrics`, with the gauges read at scrape time (outbox depth, current pause, ages).
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

# The `_created` series (when each counter was made) only double what a dashboard shows.
disable_created_metrics()
REGISTRY = CollectorRegistry()

SENDS = Counter(
    "uabot_sends",
    "Outbox sends by outcome (sent, retry, failed, held): the send rate is its rate().",
    ["outcome"],
    registry=REGISTRY,
)
TELEGRAM_429 = Counter(
    "uabot_telegram_429",
    "Too Many Requests answers from the Bot API (broadcasts and replies).",
    registry=REGISTRY,
)
CLAIM_TO_SEND = Histogram(
    "uabot_claim_to_send_seconds",
    "From claiming a delivery in the outbox to Telegram's answer that it was sent.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
REPLY = Histogram(
    "uabot_reply_seconds",
    "From a command or button press reaching the bot to its last reply sent.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
SCHEDULER_CYCLES = Counter(
    "uabot_scheduler_cycles", "Scheduler cycles completed.", registry=REGISTRY
)
SCHEDULER_LAG = Gauge(
    "uabot_scheduler_lag_seconds",
    "How late the last scheduler cycle ran its most overdue job (0: none overdue).",
    registry=REGISTRY,
)
WATCH_CHECKS = Counter(
    "uabot_watch_checks",
    "Source watch checks by result (new, unchanged, not_modified, failed, gone).",
    ["result"],
    registry=REGISTRY,
)
REVEALS = Counter(
    "uabot_reveals",
    "Restricted details shown to staff (/person), each audited.",
    registry=REGISTRY,
)
REFUSALS = Counter(
    "uabot_refusals",
    "Commands refused for want of a role or a private chat, each audited.",
    ["command"],
    registry=REGISTRY,
)


def refused(command: str) -> None:
    """Count a refusal; a name that is not a plain command (crafted button data) is 'other'."""
    plain = command.replace("_", "").replace(".", "").isalpha() and command.isascii()
    REFUSALS.labels(command if plain and len(command) <= 40 else "other").inc()


def value(name: str, labels: dict[str, str] | None = None) -> float:
    """A sample's current value (0 when never set): for tests and `uabot` itself."""
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0
