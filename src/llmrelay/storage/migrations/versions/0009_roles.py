"""Shared budgets: a key may name a budget (`virtual_keys.budget_id`, LiteLLM's), and a budget keeps
the spend of the keys that name it (`budgets.spend_micros`); a key's per-model budgets
(`virtual_keys.model_max_budget`, LiteLLM's) and its spend per model (`key_model_spend`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from llmrelay.storage.columns import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spend_micros", sa.BigInteger(), server_default="0", nullable=False))
    # batch mode: SQLite cannot alter a table in place (a no-op wrapper on PostgreSQL)
    with op.batch_alter_table("virtual_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("model_max_budget", JSON_TYPE, nullable=True))
        batch_op.create_foreign_key(
            "fk_virtual_keys_budget_id_budgets", "budgets", ["budget_id"], ["budget_id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_virtual_keys_budget_id", ["budget_id"], unique=False)
    op.create_table(
        "key_model_spend",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("budget_reset_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["key_hash"],
            ["virtual_keys.key_hash"],
            name="fk_key_model_spend_key_hash_virtual_keys",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_hash", "model", name="pk_key_model_spend"),
    )
    op.create_index(
        "ix_key_model_spend_budget_reset_at", "key_model_spend", ["budget_reset_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_key_model_spend_budget_reset_at", table_name="key_model_spend")
    op.drop_table("key_model_spend")
    with op.batch_alter_table("virtual_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_virtual_keys_budget_id")
        batch_op.drop_constraint("fk_virtual_keys_budget_id_budgets", type_="foreignkey")
        batch_op.drop_column("model_max_budget")
        batch_op.drop_column("budget_id")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.drop_column("spend_micros")
