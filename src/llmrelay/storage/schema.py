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
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from llmrelay.storage.columns import UTCDateTime, json_type

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

ID = 64  # length of every identifier column (ids, aliases are longer)
ALIAS = 255


def _limit_columns() -> list[Column[object]]:
    """The budget and rate-limit fields shared by keys, users, teams and budgets."""
    return [
        Column("max_budget_micros", BigInteger, nullable=True),
        Column("soft_budget_micros", BigInteger, nullable=True),
        Column("budget_duration", String(16), nullable=True),
        Column("budget_reset_at", UTCDateTime, nullable=True),
        Column("rpm_limit", Integer, nullable=True),
        Column("tpm_limit", BigInteger, nullable=True),
        Column("max_parallel_requests", Integer, nullable=True),
    ]


def _stamps() -> list[Column[object]]:
    return [
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    ]


budgets = Table(
    "budgets",
    metadata,
    Column("budget_id", String(ID), primary_key=True),
    *_limit_columns(),
    *_stamps(),
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
    *_stamps(),
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
    *_limit_columns(),
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("metadata", json_type(), nullable=False),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    *_stamps(),
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
    *_limit_columns(),
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("metadata", json_type(), nullable=False),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    *_stamps(),
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
    *_limit_columns(),
    Column("spend_micros", BigInteger, nullable=False, server_default="0"),
    Column("expires", UTCDateTime, nullable=True),
    Column("metadata", json_type(), nullable=False),
    Column("tags", json_type(), nullable=False),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    Column("created_by", String(ID), nullable=True),
    # LiteLLM's: the only routes the key may call (paths or route groups); NULL = no restriction
    Column("allowed_routes", json_type(), nullable=True),
    *_stamps(),
    UniqueConstraint("key_alias"),
    Index(None, "user_id"),
    Index(None, "team_id"),
    Index(None, "organization_id"),
    Index(None, "budget_reset_at"),
    Index(None, "expires"),
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
    *_stamps(),
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

# Files uploaded through /v1/files and the files a batch produced (issue 15): the gateway's id, the
# upstream's, where the upstream is (`target`: "group:<model group>" or "provider:<name>", read again
# from the config on each call) and who owns it. `models`: a batch input file's models, each with the
# first line naming it ({"gpt-4o": 1}), checked against the key that creates a batch from it.
managed_files = Table(
    "managed_files",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("upstream_id", String(ALIAS), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("target", String(ALIAS), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("filename", String(ALIAS), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("key_hash", String(ID), nullable=True),
    Column("team_id", String(ID), nullable=True),
    Column("models", json_type(), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # GET /v1/files: one owner's files, newest first
    Index(None, "key_hash", "created_at"),
)

# Batches created through /v1/batches: ids and owner as for files; `status` as last read from the
# upstream; `billing` "open" → "claimed" (one instance reads the output, claimed_at) → "billed".
managed_batches = Table(
    "managed_batches",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("upstream_id", String(ALIAS), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("target", String(ALIAS), nullable=False),
    Column("input_file_id", String(ID), nullable=False),
    Column("endpoint", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("key_hash", String(ID), nullable=True),
    Column("user_id", String(ID), nullable=True),
    Column("team_id", String(ID), nullable=True),
    Column("organization_id", String(ID), nullable=True),
    Column("billing", String(16), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("cost_micros", BigInteger, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # GET /v1/batches: one owner's batches, newest first
    Index(None, "key_hash", "created_at"),
    # the poller: the batches not billed yet, oldest first
    Index(None, "billing", "created_at"),
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
