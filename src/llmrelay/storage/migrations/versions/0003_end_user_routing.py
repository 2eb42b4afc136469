"""End users: default_model, allowed_model_region and metadata (LiteLLM's end-user fields).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# frozen here on purpose, as in 0001
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # batch mode: SQLite cannot alter a table in place (a no-op wrapper on PostgreSQL)
    with op.batch_alter_table("end_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_model", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("allowed_model_region", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("metadata", JSON_TYPE, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("end_users", schema=None) as batch_op:
        batch_op.drop_column("metadata")
        batch_op.drop_column("allowed_model_region")
        batch_op.drop_column("default_model")
