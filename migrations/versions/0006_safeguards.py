"""seized-phone safeguards: reveal PIN, lock and suspension on staff; expiring messages;
lockdowns; the retention notice's alert kind

Revision ID: 0006_safeguards
Revises: 0005_watch
Create Date: 2026-12-05 13:10:00.000000

Four columns on `staff` (nullable, or with a server default, so SQLite adds them in place),
two new tables, and the alerts' kind CHECK widened for "retention_notice" as 0005_watch
widened it (on SQLite the outbox is copied aside while `alerts` is rebuilt).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.types

# revision identifiers, used by Alembic.
revision: str = "0006_safeguards"
down_revision: str | Sequence[str] | None = "0005_watch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD_KINDS = (
    *("new", "further_information", "deadline_reminder", "closed", "digest"),
    *("deadline_passed", "stale", "news", "source_failing"),
)
NEW_KINDS = (*OLD_KINDS, "retention_notice")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _swap_alert_kinds(kinds: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_alerts_kind"), "alerts", type_="check")
        op.create_check_constraint(op.f("ck_alerts_kind"), "alerts", _in("kind", kinds))
        return
    op.execute("CREATE TEMPORARY TABLE deliveries_0006 AS SELECT * FROM deliveries")
    with op.batch_alter_table("alerts", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alerts_kind"), _in("kind", kinds))
    op.execute("DELETE FROM deliveries")
    op.execute("INSERT INTO deliveries SELECT * FROM deliveries_0006")
    op.execute("DROP TABLE deliveries_0006")


def _utc(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, bot.store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pin_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("pin_failures", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(_utc("reveals_locked_at"))
        batch_op.add_column(_utc("suspended_at"))
    op.create_table(
        "expiring_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        _utc("delete_at", nullable=False),
        _utc("done_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expiring_messages")),
    )
    op.create_index(
        "ix_expiring_messages_due", "expiring_messages", ["done_at", "delete_at"], unique=False
    )
    op.create_table(
        "lockdowns",
        sa.Column("id", sa.Integer(), nullable=False),
        _utc("started_at", nullable=False),
        sa.Column("started_by", sa.BigInteger(), nullable=True),
        _utc("lifted_at"),
        sa.Column("lifted_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lockdowns")),
    )
    _swap_alert_kinds(NEW_KINDS)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DELETE FROM alerts WHERE kind = 'retention_notice'")
    _swap_alert_kinds(OLD_KINDS)
    op.drop_table("lockdowns")
    op.drop_index("ix_expiring_messages_due", table_name="expiring_messages")
    op.drop_table("expiring_messages")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
        batch_op.drop_column("reveals_locked_at")
        batch_op.drop_column("pin_failures")
        batch_op.drop_column("pin_hash")
