"""the scheduler: alert kinds for coordinator notices, bundled digest deliveries

Revision ID: 0004_schedule
Revises: 0003
Create Date: 2026-11-24 19:39:44.562897

Only two CHECK constraints widen. PostgreSQL swaps them in place. SQLite cannot alter a
constraint, so both tables are rebuilt (Alembic's batch mode); dropping the old `alerts`
table would cascade into `deliveries` (foreign keys are on, and cannot be switched off
inside the migration's transaction), so the outbox is copied aside first and put back.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004_schedule"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("new", "further_information", "deadline_reminder", "closed", "digest")
NEW_KINDS = (*OLD_KINDS, "deadline_passed", "stale")
OLD_STATUSES = ("pending", "sent", "failed", "held")
NEW_STATUSES = (*OLD_STATUSES, "bundled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _swap_checks(kinds: tuple[str, ...], statuses: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, name, condition in (
            ("alerts", "ck_alerts_kind", _in("kind", kinds)),
            ("deliveries", "ck_deliveries_status", _in("status", statuses)),
        ):
            op.drop_constraint(op.f(name), table, type_="check")
            op.create_check_constraint(op.f(name), table, condition)
        return
    op.execute("CREATE TEMPORARY TABLE deliveries_0004 AS SELECT * FROM deliveries")
    with op.batch_alter_table("alerts", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alerts_kind"), _in("kind", kinds))
    with op.batch_alter_table("deliveries", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_deliveries_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_deliveries_status"), _in("status", statuses))
    # Empty already (the cascade); said again so a copy can never meet its original.
    op.execute("DELETE FROM deliveries")
    op.execute("INSERT INTO deliveries SELECT * FROM deliveries_0004")
    op.execute("DROP TABLE deliveries_0004")


def upgrade() -> None:
    """Upgrade schema."""
    _swap_checks(NEW_KINDS, NEW_STATUSES)


def downgrade() -> None:
    """Downgrade schema: notices are dropped, bundled copies count as sent (they were)."""
    op.execute("DELETE FROM alerts WHERE kind IN ('deadline_passed', 'stale')")
    op.execute("UPDATE deliveries SET status = 'sent' WHERE status = 'bundled'")
    _swap_checks(OLD_KINDS, OLD_STATUSES)
