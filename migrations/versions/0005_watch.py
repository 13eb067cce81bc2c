"""source watch: watch_sources and watch_items; news and source_failing notices

Revision ID: 0005_watch
Revises: 0004_schedule
Create Date: 2026-11-24 19:48:06.394544

Two new tables, and the alerts' kind CHECK widened for the watch's two private notices.
PostgreSQL swaps the constraint in place. SQLite rebuilds `alerts` (Alembic's batch mode);
dropping the old table would cascade into `deliveries` (foreign keys are on, and cannot be
switched off inside the migration's transaction), so the outbox is copied aside first and put
back, as 0004_schedule does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.types

# revision identifiers, used by Alembic.
revision: str = "0005_watch"
down_revision: str | Sequence[str] | None = "0004_schedule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = (
    *("new", "further_information", "deadline_reminder", "closed", "digest"),
    *("deadline_passed", "stale"),
)
NEW_KINDS = (*OLD_KINDS, "news", "source_failing")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _swap_alert_kinds(kinds: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_alerts_kind"), "alerts", type_="check")
        op.create_check_constraint(op.f("ck_alerts_kind"), "alerts", _in("kind", kinds))
        return
    op.execute("CREATE TEMPORARY TABLE deliveries_0005 AS SELECT * FROM deliveries")
    with op.batch_alter_table("alerts", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alerts_kind"), _in("kind", kinds))
    # Empty already (the cascade); said again so a copy can never meet its original.
    op.execute("DELETE FROM deliveries")
    op.execute("INSERT INTO deliveries SELECT * FROM deliveries_0005")
    op.execute("DROP TABLE deliveries_0005")


def _utc(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, bot.store.types.UTCDateTime(timezone=True), nullable=nullable)


def _create_sources() -> None:
    op.create_table(
        "watch_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        _utc("added_at", nullable=False),
        sa.Column("etag", sa.String(length=256), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("page_text", sa.Text(), nullable=True),
        _utc("next_check_at", nullable=False),
        _utc("last_check_at"),
        _utc("last_ok_at"),
        _utc("last_new_at"),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        _utc("failing_since"),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failure_flagged", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IS NULL OR kind IN ('feed', 'page')", name=op.f("ck_watch_sources_kind")
        ),
        sa.CheckConstraint("status IN ('active', 'muted')", name=op.f("ck_watch_sources_status")),
        sa.CheckConstraint("interval_seconds >= 60", name=op.f("ck_watch_sources_interval")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_watch_sources_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_sources")),
        sa.UniqueConstraint("case_id", "url", name="uq_watch_sources_case_url"),
    )
    with op.batch_alter_table("watch_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watch_sources_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_watch_sources_due", ["status", "next_check_at"], unique=False)


def _create_items() -> None:
    op.create_table(
        "watch_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("excerpt", sa.String(length=600), nullable=True),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _utc("found_at", nullable=False),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=True),
        _utc("reviewed_at"),
        sa.CheckConstraint(
            "status IN ('seen', 'announced', 'dismissed', 'drafted')",
            name=op.f("ck_watch_items_status"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["watch_sources.id"],
            name=op.f("fk_watch_items_source_id_watch_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_items")),
        sa.UniqueConstraint("source_id", "key", name="uq_watch_items_source_key"),
    )


def upgrade() -> None:
    """Upgrade schema."""
    _create_sources()
    _create_items()
    _swap_alert_kinds(NEW_KINDS)


def downgrade() -> None:
    """Downgrade schema: the watch's notices go with its tables."""
    op.execute("DELETE FROM alerts WHERE kind IN ('news', 'source_failing')")
    _swap_alert_kinds(OLD_KINDS)
    op.drop_table("watch_items")
    with op.batch_alter_table("watch_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_watch_sources_due")
        batch_op.drop_index(batch_op.f("ix_watch_sources_case_id"))
    op.drop_table("watch_sources")
