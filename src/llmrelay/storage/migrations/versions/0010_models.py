"""Models and credentials kept in the database (general_settings.store_model_in_db): their
connection values encrypted (storage/sealing.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from llmrelay.storage.columns import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# frozen here on purpose, as in 0001
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "model_deployments",
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("model_name", sa.String(length=255), nullable=False),
        sa.Column("sealed_params", sa.Text(), nullable=False),
        sa.Column("model_info", JSON_TYPE, nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_model_deployments")),
    )
    op.create_table(
        "provider_credentials",
        sa.Column("credential_name", sa.String(length=255), nullable=False),
        sa.Column("sealed_values", sa.Text(), nullable=False),
        sa.Column("credential_info", JSON_TYPE, nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("credential_name", name=op.f("pk_provider_credentials")),
    )


def downgrade() -> None:
    op.drop_table("provider_credentials")
    op.drop_table("model_deployments")
