"""Files and batches (issue 15): `managed_files` and `managed_batches`, the gateway's ids for the
upstream's, with their owners.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from llmrelay.storage.columns import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "managed_files",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("upstream_id", sa.String(255), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=True),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("models", JSON_TYPE, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_managed_files")),
    )
    op.create_index(op.f("ix_managed_files_key_hash_created_at"), "managed_files", ["key_hash", "created_at"])
    op.create_table(
        "managed_batches",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("upstream_id", sa.String(255), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("input_file_id", sa.String(64), nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("organization_id", sa.String(64), nullable=True),
        sa.Column("billing", sa.String(16), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("cost_micros", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_managed_batches")),
    )
    op.create_index(
        op.f("ix_managed_batches_key_hash_created_at"), "managed_batches", ["key_hash", "created_at"]
    )
    op.create_index(
        op.f("ix_managed_batches_billing_created_at"), "managed_batches", ["billing", "created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_managed_batches_billing_created_at"), table_name="managed_batches")
    op.drop_index(op.f("ix_managed_batches_key_hash_created_at"), table_name="managed_batches")
    op.drop_table("managed_batches")
    op.drop_index(op.f("ix_managed_files_key_hash_created_at"), table_name="managed_files")
    op.drop_table("managed_files")
