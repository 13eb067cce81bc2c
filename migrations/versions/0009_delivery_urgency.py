"""deliveries.urgency (the outbox's order: class, then deadline) and delivery_pauses

Revision ID: 0009_delivery_urgency
Revises: 0008_case_rounds_sources
Create Date: 2026-12-05 13:00:00

The alerts' kind CHECK admits the two staff notices of a long pause. Rows queued before
this revision are new alerts with no deadline known (bot/domain/urgency.py
gives the number). The due index walks the outbox by urgency now. `delivery_pauses` keeps a
long pause Telegram asked for (a retry_after of a minute or more) across restarts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.types

# revision identifiers, used by Alembic.
revision: str = "0009_delivery_urgency"
down_revision: str | Sequence[str] | None = "0008_case_rounds_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALERT_WITHOUT_DEADLINE = "299999999999"  # urgency("new", None)
OLD_KINDS = (
    *("new", "further_information", "deadline_reminder", "closed", "digest"),
    *("deadline_passed", "stale", "news", "source_failing", "retention_notice"),
)
NEW_KINDS = (*OLD_KINDS, "delivery_paused", "delivery_resumed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _swap_alert_kinds(kinds: tuple[str, ...]) -> None:
    """As 0005_watch does: in place on PostgreSQL; on SQLite `alerts` is rebuilt, and the
    outbox (which its old table's drop empties by cascade) copied aside and put back."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_alerts_kind"), "alerts", type_="check")
        op.create_check_constraint(op.f("ck_alerts_kind"), "alerts", _in("kind", kinds))
        return
    op.execute("CREATE TEMPORARY TABLE deliveries_0009 AS SELECT * FROM deliveries")
    with op.batch_alter_table("alerts", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alerts_kind"), _in("kind", kinds))
    op.execute("DELETE FROM deliveries")
    op.execute("INSERT INTO deliveries SELECT * FROM deliveries_0009")
    op.execute("DROP TABLE deliveries_0009")


def upgrade() -> None:
    _swap_alert_kinds(NEW_KINDS)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "urgency",
                sa.BigInteger(),
                nullable=False,
                server_default=sa.text(ALERT_WITHOUT_DEADLINE),
            )
        )
        batch_op.drop_index("ix_deliveries_due")
        batch_op.create_index(
            "ix_deliveries_due", ["status", "urgency", "next_attempt_at", "id"], unique=False
        )
    op.create_table(
        "delivery_pauses",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("paused_until", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retry_after", sa.Integer(), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("bot_id", name=op.f("pk_delivery_pauses")),
    )


def downgrade() -> None:
    op.drop_table("delivery_pauses")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_due")
        batch_op.create_index(
            "ix_deliveries_due", ["status", "next_attempt_at", "id"], unique=False
        )
        batch_op.drop_column("urgency")
    op.execute("DELETE FROM alerts WHERE kind IN ('delivery_paused', 'delivery_resumed')")
    _swap_alert_kinds(OLD_KINDS)
