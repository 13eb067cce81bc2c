"""cases: the source action relayed (reference and link) and the round of the call to act;
actions: the round they answer, so a renewed call can be answered again

Revision ID: 0008_case_rounds_sources
Revises: 0006_safeguards
Create Date: 2026-12-05 13:40:00

Every existing case and action is in round 1. The unique rule on actions widens from
(case, subscriber) to (case, subscriber, round); SQLite rebuilds `actions` for it (batch mode:
nothing refers to `actions`, so no copy of other tables is needed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision: str = "0008_case_rounds_sources"
down_revision: str | Sequence[str] | None = "0006_safeguards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("source_ref", sa.String(64), nullable=True))
        batch.add_column(sa.Column("source_url", sa.String(500), nullable=True))
        batch.add_column(sa.Column("round", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column("round_started_at", bot.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("round", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint("uq_actions_case_subscriber", type_="unique")
        batch.create_unique_constraint(
            "uq_actions_case_subscriber_round", ["case_id", "subscriber_id", "round"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM actions WHERE round > 1")
    with op.batch_alter_table("actions") as batch:
        batch.drop_constraint("uq_actions_case_subscriber_round", type_="unique")
        batch.create_unique_constraint("uq_actions_case_subscriber", ["case_id", "subscriber_id"])
        batch.drop_column("round")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("round_started_at")
        batch.drop_column("round")
        batch.drop_column("source_url")
        batch.drop_column("source_ref")
