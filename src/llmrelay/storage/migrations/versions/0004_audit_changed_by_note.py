"""Audit log: `changed_by_note`, what an admin's LiteLLM-Changed-By header said; `changed_by` is
now always the authenticated caller.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot alter a table in place (a no-op wrapper on PostgreSQL)
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_by_note", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.drop_column("changed_by_note")
