"""The dashboard's SSO sessions: `ui_sessions`, one row per signed-in browser (the session id's
SHA-256, its user, its expiry).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from llmrelay.storage.columns import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ui_sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name="fk_ui_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("session_hash", name="pk_ui_sessions"),
    )
    op.create_index("ix_ui_sessions_expires_at", "ui_sessions", ["expires_at"])
    op.create_index("ix_ui_sessions_user_id", "ui_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_ui_sessions_user_id", table_name="ui_sessions")
    op.drop_index("ix_ui_sessions_expires_at", table_name="ui_sessions")
    op.drop_table("ui_sessions")
