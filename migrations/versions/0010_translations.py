"""Case content in several languages, and what appeal letters need

Revision ID: 0010_translations
Revises: 0009_delivery_urgency
Create Date: 2026-12-05 16:10:00

cases.language is the language the text columns are written in (every existing case: English);
case_translations and target_translations hold the other languages, with who wrote each and
when. cases.asks and case_targets.asks are what the letters ask for. Targets gain a stable key
(case documents reuse a target by it), the pronoun a default salutation agrees with, a social
handle and a web form; subscribers a sender block (town, e-mail) beside their signature.
actions.how admits a web form and a call.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision: str = "0010_translations"
down_revision: str | Sequence[str] | None = "0009_delivery_urgency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_HOWS = ("email", "letter", "fax", "social", "other")
NEW_HOWS = ("email", "letter", "fax", "social", "web_form", "call", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _hows(hows: tuple[str, ...]) -> None:
    # SQLite rebuilds `actions` (nothing refers to it); PostgreSQL swaps the CHECK in place.
    with op.batch_alter_table("actions") as batch:
        batch.drop_constraint("how", type_="check")
        batch.create_check_constraint("how", _in("how", hows))


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))
        batch.add_column(sa.Column("asks", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("case_targets") as batch:
        batch.add_column(sa.Column("asks", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("targets") as batch:
        batch.add_column(
            sa.Column("text_language", sa.String(8), nullable=False, server_default="en")
        )
        batch.add_column(sa.Column("key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("pronoun", sa.String(16), nullable=True))
        batch.add_column(sa.Column("handle", sa.String(100), nullable=True))
        batch.add_column(sa.Column("web_form", sa.String(500), nullable=True))
    op.create_index("ix_targets_key", "targets", ["key"], unique=True)
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("sender_town", sa.String(100), nullable=True))
        batch.add_column(sa.Column("sender_email", sa.String(254), nullable=True))
    _hows(NEW_HOWS)
    op.create_table(
        "case_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(8), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("translated_by", sa.BigInteger(), nullable=True),
        sa.Column("translated_at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entity IN ('case', 'person', 'event', 'link')",
            name=op.f("ck_case_translations_entity"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_translations_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_translations")),
        sa.UniqueConstraint(
            "case_id", "entity", "entity_id", "field", "language", name="uq_case_translations_text"
        ),
    )
    op.create_table(
        "target_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("translated_by", sa.BigInteger(), nullable=True),
        sa.Column("translated_at", bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["targets.id"],
            name=op.f("fk_target_translations_target_id_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_translations")),
        sa.UniqueConstraint("target_id", "field", "language", name="uq_target_translations_text"),
    )


def downgrade() -> None:
    # SQLite drops these columns in place (ALTER TABLE … DROP COLUMN, SQLite 3.35+): a rebuilt
    # `subscribers` or `cases` would take the outbox with it (ON DELETE CASCADE).
    op.drop_table("target_translations")
    op.drop_table("case_translations")
    op.execute("UPDATE actions SET how = 'other' WHERE how IN ('web_form', 'call')")
    _hows(OLD_HOWS)
    with op.batch_alter_table("subscribers", recreate="never") as batch:
        batch.drop_column("sender_email")
        batch.drop_column("sender_town")
    op.drop_index("ix_targets_key", table_name="targets")
    with op.batch_alter_table("targets", recreate="never") as batch:
        for column in ("web_form", "handle", "pronoun", "key", "text_language"):
            batch.drop_column(column)
    with op.batch_alter_table("case_targets", recreate="never") as batch:
        batch.drop_column("asks")
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.drop_column("asks")
        batch.drop_column("language")
