"""The tables. Money is integer micro-USD (`*_micros`); times are aware UTC datetimes.

Every index here exists for a named query (see docs/storage.md, "Queries and their indexes"); add a
query, add or reuse an index. The migration in migrations/versions/ must create the same objects:
tests/storage/test_migrations.py compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from llmrelay.storage.columns import UTCDateTime, json_type

# the files and batches tables live in their own module; imported here so that `metadata` has them
from llmrelay.storage.file_schema import managed_batches as managed_batches
from llmrelay.storage.file_schema import managed_files as managed_files

# `metadata` is read from here by whoever needs every table registered on it (migrations, tests)
from llmrelay.storage.schema_parts import ALIAS, ID, limit_columns, stamps
from llmrelay.storage.schema_parts import metadata as metadata

budgets = Table(
    "budgets",
    metadata,
    Column("budget_id", String(ID), primary_key=True),
    *limit_columns(),
    # the spend of the keys that name this budget (a shared budget); organizations and end users
    # that name it keep their own spend
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    *stamps(),
    Index(None, "budget_reset_at"),
)

organizations = Table(
    "organizations",
    metadata,
    Column("organization_id", String(ID), primary_key=True),
    Column("organization_alias", String(ALIAS), nullable=True),
    Column("budget_id", String(ID), ForeignKey("budgets.budget_id", ondelete="SET NULL"), nullable=True),
    Column("models", json_type(), nullable=False),
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("metadata", json_type(), nullable=False),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    *stamps(),
    Index(None, "organization_alias"),
    Index(None, "budget_id"),
)

users = Table(
    "users",
    metadata,
    Column("user_id", String(ID), primary_key=True),
    Column("user_alias", String(ALIAS), nullable=True),
    Column("user_email", String(ALIAS), nullable=True),
    Column("user_role", String(32), nullable=False, server_default="internal_user"),
    Column(
        "organization_id",
        String(ID),
        ForeignKey("organizations.organization_id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("models", json_type(), nullable=False),
    *limit_columns(),
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("metadata", json_type(), nullable=False),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    *stamps(),
    Index(None, "user_email"),
    Index(None, "organization_id"),
    Index(None, "budget_reset_at"),
)

teams = Table(
    "teams",
    metadata,
    Column("team_id", String(ID), primary_key=True),
    Column("team_alias", String(ALIAS), nullable=True),
    Column(
        "organization_id",
        String(ID),
        ForeignKey("organizations.organization_id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("models", json_type(), nullable=False),
    *limit_columns(),
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("metadata", json_type(), nullable=False),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    Column("object_permission", json_type(), nullable=True),
    *stamps(),
    Index(None, "team_alias"),
    Index(None, "organization_id"),
    Index(None, "budget_reset_at"),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", String(ID), ForeignKey("teams.team_id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(ID), ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False, server_default="user"),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("team_id", "user_id"),
    # "which teams is this user in" (user info, user delete)
    Index(None, "user_id"),
)

# A key is known only by its hash (see llmrelay.auth.keys). `key_name` is a display hint such as
# "sk-...a1b2" that cannot be used to recover the key.
virtual_keys = Table(
    "virtual_keys",
    metadata,
    Column("key_hash", String(ID), primary_key=True),
    Column("key_name", String(32), nullable=False),
    Column("key_alias", String(ALIAS), nullable=True),
    Column("user_id", String(ID), ForeignKey("users.user_id", ondelete="SET NULL"), nullable=True),
    Column("team_id", String(ID), ForeignKey("teams.team_id", ondelete="SET NULL"), nullable=True),
    Column(
        "organization_id",
        String(ID),
        ForeignKey("organizations.organization_id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("models", json_type(), nullable=False),
    *limit_columns(),
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("expires", UTCDateTime, nullable=True),
    Column("metadata", json_type(), nullable=False),
    Column("tags", json_type(), nullable=False),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    Column("created_by", String(ID), nullable=True),
    # LiteLLM's: the only routes the key may call (paths or route groups); NULL = no restriction
    Column("allowed_routes", json_type(), nullable=True),
    # LiteLLM's object_permission: the MCP servers and tools the key may use; NULL = no restriction
    Column("object_permission", json_type(), nullable=True),
    # LiteLLM's: a shared budget the key spends from, with every other key naming it
    Column("budget_id", String(ID), ForeignKey("budgets.budget_id", ondelete="SET NULL"), nullable=True),
    # LiteLLM's per-model budgets: {model: {"max_budget_micros": int, "budget_duration": str | None}};
    # NULL = none. Their spend is in key_model_spend.
    Column("model_max_budget", json_type(), nullable=True),
    *stamps(),
    UniqueConstraint("key_alias"),
    # "which keys share this budget" (reload after a budget change, /budget/delete)
    Index(None, "budget_id"),
    Index(None, "user_id"),
    Index(None, "team_id"),
    Index(None, "organization_id"),
    Index(None, "budget_reset_at"),
    Index(None, "expires"),
)

# A key's spend per model, for the models its model_max_budget names (no row for others). Follows
# the key when it is regenerated (its hash changes) and goes with it.
key_model_spend = Table(
    "key_model_spend",
    metadata,
    Column(
        "key_hash",
        String(ID),
        ForeignKey("virtual_keys.key_hash", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
    ),
    Column("model", String(ALIAS), nullable=False),
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("budget_reset_at", UTCDateTime, nullable=True),
    PrimaryKeyConstraint("key_hash", "model"),
    # the periodic reset: rows whose period ended
    Index(None, "budget_reset_at"),
)

end_users = Table(
    "end_users",
    metadata,
    Column("end_user_id", String(ALIAS), primary_key=True),
    Column("alias", String(ALIAS), nullable=True),
    Column("budget_id", String(ID), ForeignKey("budgets.budget_id", ondelete="SET NULL"), nullable=True),
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    # LiteLLM's routing fields: the model group used when the asked one has no deployment in
    # `allowed_model_region` ("eu" | "us"), and free-form metadata
    Column("default_model", String(ALIAS), nullable=True),
    Column("allowed_model_region", String(16), nullable=True),
    Column("metadata", json_type(), nullable=True),
    *stamps(),
)

# One row per call; `request_id` is the idempotency key that makes a replayed spool harmless. With
# spend logs turned off, a call's row is a receipt: status "receipt", its request_id and time only
# (see repos/spend.py).
spend_logs = Table(
    "spend_logs",
    metadata,
    Column("request_id", String(ALIAS), primary_key=True),
    Column("call_type", String(32), nullable=False),
    Column("start_time", UTCDateTime, nullable=False),
    Column("end_time", UTCDateTime, nullable=False),
    Column("model", String(ALIAS), nullable=False),
    Column("model_group", String(ALIAS), nullable=True),
    Column("deployment", String(ALIAS), nullable=True),
    Column("provider", String(64), nullable=True),
    Column("prompt_tokens", BigInteger, nullable=False),
    Column("completion_tokens", BigInteger, nullable=False),
    Column("total_tokens", BigInteger, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("key_hash", String(ID), nullable=True),
    Column("user_id", String(ID), nullable=True),
    Column("team_id", String(ID), nullable=True),
    Column("organization_id", String(ID), nullable=True),
    Column("end_user", String(ALIAS), nullable=True),
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    # /spend/logs filters: a date range alone, or with one of key, user, team, model
    Index(None, "start_time"),
    Index(None, "key_hash", "start_time"),
    Index(None, "user_id", "start_time"),
    Index(None, "team_id", "start_time"),
    Index(None, "model", "start_time"),
    Index(None, "end_user", "start_time"),
)

# Totals per UTC day and dimension. Missing dimensions are stored as "" (not NULL) so the unique key
# works as an upsert target on both databases.
daily_spend = Table(
    "daily_spend",
    metadata,
    Column("day", Date, nullable=False),
    Column("key_hash", String(ID), nullable=False),
    Column("user_id", String(ID), nullable=False),
    Column("team_id", String(ID), nullable=False),
    Column("organization_id", String(ID), nullable=False),
    Column("end_user", String(ALIAS), nullable=False),
    Column("model", String(ALIAS), nullable=False),
    Column("deployment", String(ALIAS), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("requests", BigInteger, nullable=False),
    Column("failures", BigInteger, nullable=False),
    Column("prompt_tokens", BigInteger, nullable=False),
    Column("completion_tokens", BigInteger, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    PrimaryKeyConstraint(
        "day",
        "key_hash",
        "user_id",
        "team_id",
        "organization_id",
        "end_user",
        "model",
        "deployment",
        "provider",
    ),
    # daily reports filtered by key / user / team / organization over a date range
    Index(None, "key_hash", "day"),
    Index(None, "user_id", "day"),
    Index(None, "team_id", "day"),
    Index(None, "organization_id", "day"),
)

# One row per change made through the admin API (LiteLLM's audit log): who, with which key, did what
# to which object, with its values before and the values asked for. Never holds a key itself.
audit_logs = Table(
    "audit_logs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("changed_by", String(ALIAS), nullable=False),
    Column("changed_by_api_key", String(ID), nullable=False),
    # what an admin's LiteLLM-Changed-By header said (on whose behalf); never used as the actor
    Column("changed_by_note", String(ALIAS), nullable=True),
    Column("action", String(16), nullable=False),
    Column("table_name", String(64), nullable=False),
    Column("object_id", String(ALIAS), nullable=False),
    Column("before_value", json_type(), nullable=True),
    Column("updated_values", json_type(), nullable=True),
    # /audit: newest first, alone or for one object
    Index(None, "updated_at"),
    Index(None, "object_id", "updated_at"),
)

# Serialises auth-relevant writes and numbers them: every change to a key, user, team, organization
# or end user bumps `version` in the writing transaction and appends an `auth_changes` row with that
# version. Row locking makes commit order equal version order, so a poller that reads
# "version > last seen" never skips a change.
auth_version = Table(
    "auth_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

auth_changes = Table(
    "auth_changes",
    metadata,
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("ident", String(ALIAS), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    # pruning old changes
    Index(None, "changed_at"),
)

# Responses API objects kept for `store: true` (GET/DELETE /v1/responses/{id}, input_items,
# previous_response_id). `owner` is who may read one: the creating key's hash, or "master" /
# "anonymous". `input_items` is the whole conversation the response answered (the previous
# response's items and output, then this request's input), so a follow-up needs one row, not a walk
# down the chain; both JSON documents are kept as the text the gateway sends (read back as is).
stored_responses = Table(
    "stored_responses",
    metadata,
    Column("response_id", String(ID), primary_key=True),
    Column("owner", String(ALIAS), nullable=False),
    Column("team_id", String(ID), nullable=True),
    Column("model", String(ALIAS), nullable=False),
    Column("previous_response_id", String(ID), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("input_items", Text, nullable=False),
    Column("response", Text, nullable=False),
    # the retention purge: rows created before a cutoff
    Index(None, "created_at"),
)

# The dashboard's sessions opened by SSO sign-in (docs/dashboard.md): the SHA-256 of the session id
# the browser's cookie holds (never the id itself), whose user, and until when. A user's deletion
# ends their sessions.
ui_sessions = Table(
    "ui_sessions",
    metadata,
    Column("session_hash", String(ID), primary_key=True),
    Column(
        "user_id",
        String(ID),
        ForeignKey("users.user_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    # pruning expired sessions; a user's sessions (ended with the user)
    Index(None, "expires_at"),
    Index(None, "user_id"),
)

# Models added through the admin API (general_settings.store_model_in_db), served beside config.yaml's
# model_list. `sealed_params` is the deployment's litellm_params as JSON, encrypted whole
# (storage/sealing.py): it holds the provider key. model_info holds no secret and stays readable.
model_deployments = Table(
    "model_deployments",
    metadata,
    Column("model_id", String(ID), primary_key=True),
    Column("model_name", String(ALIAS), nullable=False),
    Column("sealed_params", Text, nullable=False),
    Column("model_info", json_type(), nullable=True),
    Column("created_by", String(ALIAS), nullable=True),
    Column("updated_by", String(ALIAS), nullable=True),
    *stamps(),
)

# Reusable credentials added through the admin API (/credentials): `sealed_values` is the values as
# JSON, encrypted whole; deployments name a credential in litellm_params.litellm_credential_name.
provider_credentials = Table(
    "provider_credentials",
    metadata,
    Column("credential_name", String(ALIAS), primary_key=True),
    Column("sealed_values", Text, nullable=False),
    Column("credential_info", json_type(), nullable=True),
    Column("created_by", String(ALIAS), nullable=True),
    Column("updated_by", String(ALIAS), nullable=True),
    *stamps(),
)
