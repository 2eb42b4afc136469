"""Audit log of admin changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from llmrelay.storage.columns import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# frozen here on purpose, as in 0001
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=False),
        sa.Column("changed_by_api_key", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=False),
        sa.Column("before_value", JSON_TYPE, nullable=True),
        sa.Column("updated_values", JSON_TYPE, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_logs_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_logs_object_id_updated_at"), ["object_id", "updated_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("audit_logs")
