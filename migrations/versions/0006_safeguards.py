"""seized-phone safeguards: reveal PIN, lock and suspension on staff; expiring messages;
lockdowns

Revision ID: 0006_safeguards
Revises: 0005_watch
Create Date: 2026-12-05 13:10:00.000000

Four columns on `staff` (nullable, or with a server default, so SQLite adds them in place)
and two new tables.
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


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("lockdowns")
    op.drop_index("ix_expiring_messages_due", table_name="expiring_messages")
    op.drop_table("expiring_messages")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
        batch_op.drop_column("reveals_locked_at")
        batch_op.drop_column("pin_failures")
        batch_op.drop_column("pin_hash")
