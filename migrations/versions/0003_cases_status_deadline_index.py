"""index cases by status and deadline

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:23:16.596949

"""

from collections.abc import Sequence

from alembic import op

import bot.store.types  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_status_deadline", ["status", "deadline"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_deadline")
