"""Virtual keys and teams: `object_permission`, LiteLLM's record of the MCP servers and tools a key
or team may use (`mcp_servers`, `mcp_tool_permissions`); NULL: no restriction.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # batch mode: SQLite cannot alter a table in place (a no-op wrapper on PostgreSQL)
    for table in ("virtual_keys", "teams"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("object_permission", JSON_TYPE, nullable=True))


def downgrade() -> None:
    for table in ("virtual_keys", "teams"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("object_permission")
