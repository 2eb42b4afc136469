"""Virtual keys: `allowed_routes`, LiteLLM's list of the only routes a key may call (NULL: every
route).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # batch mode: SQLite cannot alter a table in place (a no-op wrapper on PostgreSQL)
    with op.batch_alter_table("virtual_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allowed_routes", JSON_TYPE, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("virtual_keys", schema=None) as batch_op:
        batch_op.drop_column("allowed_routes")
