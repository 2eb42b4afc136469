"""Shared budgets: a key may name a budget (`virtual_keys.budget_id`, LiteLLM's), and a budget keeps
the spend of the keys that name it (`budgets.spend_micros`).

Revision ID: 0006_roles
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_roles"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spend_micros", sa.BigInteger(), server_default="0", nullable=False))
    # batch mode: SQLite cannot alter a table in place (a no-op wrapper on PostgreSQL)
    with op.batch_alter_table("virtual_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget_id", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            "fk_virtual_keys_budget_id_budgets", "budgets", ["budget_id"], ["budget_id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_virtual_keys_budget_id", ["budget_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("virtual_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_virtual_keys_budget_id")
        batch_op.drop_constraint("fk_virtual_keys_budget_id_budgets", type_="foreignkey")
        batch_op.drop_column("budget_id")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.drop_column("spend_micros")
