"""Initial schema: organizations, teams, users, keys, budgets, end users, spend, auth change log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from llmrelay.storage.columns import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# frozen here on purpose: later schema changes get their own revision, never an edit of this one
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "auth_changes",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ident", sa.String(length=255), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_auth_changes")),
    )
    with op.batch_alter_table("auth_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_changes_changed_at"), ["changed_at"], unique=False)

    op.create_table(
        "auth_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_version")),
    )
    op.bulk_insert(
        sa.table("auth_version", sa.column("id", sa.Integer()), sa.column("version", sa.BigInteger())),
        [{"id": 1, "version": 0}],
    )
    op.create_table(
        "budgets",
        sa.Column("budget_id", sa.String(length=64), nullable=False),
        sa.Column("max_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("soft_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("budget_duration", sa.String(length=16), nullable=True),
        sa.Column("budget_reset_at", UTCDateTime(), nullable=True),
        sa.Column("rpm_limit", sa.Integer(), nullable=True),
        sa.Column("tpm_limit", sa.BigInteger(), nullable=True),
        sa.Column("max_parallel_requests", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("budget_id", name=op.f("pk_budgets")),
    )
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budgets_budget_reset_at"), ["budget_reset_at"], unique=False)

    op.create_table(
        "daily_spend",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("end_user", sa.String(length=255), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("deployment", sa.String(length=255), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "key_hash",
            "user_id",
            "team_id",
            "organization_id",
            "end_user",
            "model",
            "deployment",
            "provider",
            name=op.f("pk_daily_spend"),
        ),
    )
    with op.batch_alter_table("daily_spend", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_daily_spend_key_hash_day"), ["key_hash", "day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_daily_spend_organization_id_day"), ["organization_id", "day"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_daily_spend_team_id_day"), ["team_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_daily_spend_user_id_day"), ["user_id", "day"], unique=False)

    op.create_table(
        "spend_logs",
        sa.Column("request_id", sa.String(length=255), nullable=False),
        sa.Column("call_type", sa.String(length=32), nullable=False),
        sa.Column("start_time", UTCDateTime(), nullable=False),
        sa.Column("end_time", UTCDateTime(), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("model_group", sa.String(length=255), nullable=True),
        sa.Column("deployment", sa.String(length=255), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("organization_id", sa.String(length=64), nullable=True),
        sa.Column("end_user", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_spend_logs")),
    )
    with op.batch_alter_table("spend_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spend_logs_end_user_start_time"), ["end_user", "start_time"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_spend_logs_key_hash_start_time"), ["key_hash", "start_time"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_spend_logs_model_start_time"), ["model", "start_time"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_spend_logs_start_time"), ["start_time"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_spend_logs_team_id_start_time"), ["team_id", "start_time"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_spend_logs_user_id_start_time"), ["user_id", "start_time"], unique=False
        )

    op.create_table(
        "end_users",
        sa.Column("end_user_id", sa.String(length=255), nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=True),
        sa.Column("budget_id", sa.String(length=64), nullable=True),
        sa.Column("spend_micros", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budgets.budget_id"],
            name=op.f("fk_end_users_budget_id_budgets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("end_user_id", name=op.f("pk_end_users")),
    )
    op.create_table(
        "organizations",
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("organization_alias", sa.String(length=255), nullable=True),
        sa.Column("budget_id", sa.String(length=64), nullable=True),
        sa.Column("models", JSON_TYPE, nullable=False),
        sa.Column("spend_micros", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("metadata", JSON_TYPE, nullable=False),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budgets.budget_id"],
            name=op.f("fk_organizations_budget_id_budgets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_organizations")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organizations_organization_alias"), ["organization_alias"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_organizations_budget_id"), ["budget_id"], unique=False)

    op.create_table(
        "teams",
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("team_alias", sa.String(length=255), nullable=True),
        sa.Column("organization_id", sa.String(length=64), nullable=True),
        sa.Column("models", JSON_TYPE, nullable=False),
        sa.Column("max_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("soft_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("budget_duration", sa.String(length=16), nullable=True),
        sa.Column("budget_reset_at", UTCDateTime(), nullable=True),
        sa.Column("rpm_limit", sa.Integer(), nullable=True),
        sa.Column("tpm_limit", sa.BigInteger(), nullable=True),
        sa.Column("max_parallel_requests", sa.Integer(), nullable=True),
        sa.Column("spend_micros", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("metadata", JSON_TYPE, nullable=False),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.organization_id"],
            name=op.f("fk_teams_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_teams")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_budget_reset_at"), ["budget_reset_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_teams_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_teams_team_alias"), ["team_alias"], unique=False)

    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("user_alias", sa.String(length=255), nullable=True),
        sa.Column("user_email", sa.String(length=255), nullable=True),
        sa.Column("user_role", sa.String(length=32), server_default="internal_user", nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=True),
        sa.Column("models", JSON_TYPE, nullable=False),
        sa.Column("max_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("soft_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("budget_duration", sa.String(length=16), nullable=True),
        sa.Column("budget_reset_at", UTCDateTime(), nullable=True),
        sa.Column("rpm_limit", sa.Integer(), nullable=True),
        sa.Column("tpm_limit", sa.BigInteger(), nullable=True),
        sa.Column("max_parallel_requests", sa.Integer(), nullable=True),
        sa.Column("spend_micros", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("metadata", JSON_TYPE, nullable=False),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.organization_id"],
            name=op.f("fk_users_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_budget_reset_at"), ["budget_reset_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_user_email"), ["user_email"], unique=False)

    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), server_default="user", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.team_id"], name=op.f("fk_team_members_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_team_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "virtual_keys",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_name", sa.String(length=32), nullable=False),
        sa.Column("key_alias", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("organization_id", sa.String(length=64), nullable=True),
        sa.Column("models", JSON_TYPE, nullable=False),
        sa.Column("max_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("soft_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("budget_duration", sa.String(length=16), nullable=True),
        sa.Column("budget_reset_at", UTCDateTime(), nullable=True),
        sa.Column("rpm_limit", sa.Integer(), nullable=True),
        sa.Column("tpm_limit", sa.BigInteger(), nullable=True),
        sa.Column("max_parallel_requests", sa.Integer(), nullable=True),
        sa.Column("spend_micros", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("expires", UTCDateTime(), nullable=True),
        sa.Column("metadata", JSON_TYPE, nullable=False),
        sa.Column("tags", JSON_TYPE, nullable=False),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.organization_id"],
            name=op.f("fk_virtual_keys_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.team_id"], name=op.f("fk_virtual_keys_team_id_teams"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_virtual_keys_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_virtual_keys")),
        sa.UniqueConstraint("key_alias", name=op.f("uq_virtual_keys_key_alias")),
    )
    with op.batch_alter_table("virtual_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_virtual_keys_budget_reset_at"), ["budget_reset_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_virtual_keys_expires"), ["expires"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_virtual_keys_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_virtual_keys_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_virtual_keys_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("virtual_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_virtual_keys_user_id"))
        batch_op.drop_index(batch_op.f("ix_virtual_keys_team_id"))
        batch_op.drop_index(batch_op.f("ix_virtual_keys_organization_id"))
        batch_op.drop_index(batch_op.f("ix_virtual_keys_expires"))
        batch_op.drop_index(batch_op.f("ix_virtual_keys_budget_reset_at"))

    op.drop_table("virtual_keys")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_members_user_id"))

    op.drop_table("team_members")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_user_email"))
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))
        batch_op.drop_index(batch_op.f("ix_users_budget_reset_at"))

    op.drop_table("users")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_team_alias"))
        batch_op.drop_index(batch_op.f("ix_teams_organization_id"))
        batch_op.drop_index(batch_op.f("ix_teams_budget_reset_at"))

    op.drop_table("teams")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_organization_alias"))
        batch_op.drop_index(batch_op.f("ix_organizations_budget_id"))

    op.drop_table("organizations")
    op.drop_table("end_users")
    with op.batch_alter_table("spend_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spend_logs_user_id_start_time"))
        batch_op.drop_index(batch_op.f("ix_spend_logs_team_id_start_time"))
        batch_op.drop_index(batch_op.f("ix_spend_logs_start_time"))
        batch_op.drop_index(batch_op.f("ix_spend_logs_model_start_time"))
        batch_op.drop_index(batch_op.f("ix_spend_logs_key_hash_start_time"))
        batch_op.drop_index(batch_op.f("ix_spend_logs_end_user_start_time"))

    op.drop_table("spend_logs")
    with op.batch_alter_table("daily_spend", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daily_spend_user_id_day"))
        batch_op.drop_index(batch_op.f("ix_daily_spend_team_id_day"))
        batch_op.drop_index(batch_op.f("ix_daily_spend_organization_id_day"))
        batch_op.drop_index(batch_op.f("ix_daily_spend_key_hash_day"))

    op.drop_table("daily_spend")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budgets_budget_reset_at"))

    op.drop_table("budgets")
    op.drop_table("auth_version")
    with op.batch_alter_table("auth_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_changes_changed_at"))

    op.drop_table("auth_changes")
