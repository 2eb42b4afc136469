"""What the repositories take and return: msgspec Structs, one per row shape.

`*Record` is a stored row. `New*` is what creating one needs. `*Update` lists what may change; a field
left at UNSET is not touched, a field set to None is cleared. Money is integer micro-USD.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType


class LimitFields(msgspec.Struct, kw_only=True):
    """Budget and rate limits; None means "no limit" (or "never resets")."""

    max_budget_micros: int | None = None
    soft_budget_micros: int | None = None
    budget_duration: str | None = None  # "30s", "1h", "1d", "30d", "1mo"
    budget_reset_at: datetime | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None


class LimitUpdate(msgspec.Struct, kw_only=True):
    max_budget_micros: int | UnsetType | None = UNSET
    soft_budget_micros: int | UnsetType | None = UNSET
    budget_duration: str | UnsetType | None = UNSET
    budget_reset_at: datetime | UnsetType | None = UNSET
    rpm_limit: int | UnsetType | None = UNSET
    tpm_limit: int | UnsetType | None = UNSET
    max_parallel_requests: int | UnsetType | None = UNSET


# ---- virtual keys -------------------------------------------------------------------------------


class KeyRecord(LimitFields, kw_only=True):
    key_hash: str
    key_name: str  # display hint, e.g. "sk-...a1b2"
    key_alias: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    models: list[str] = msgspec.field(default_factory=list)
    spend_micros: int = 0
    expires: datetime | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    tags: list[str] = msgspec.field(default_factory=list)
    blocked: bool = False
    created_by: str | None = None
    allowed_routes: list[str] | None = None
    # LiteLLM's object_permission (MCP servers and tools this key may use); None = no restriction
    object_permission: dict[str, Any] | None = None
    budget_id: str | None = None
    model_max_budget: dict[str, dict[str, Any]] | None = None  # model → MODEL_BUDGET_FIELDS
    created_at: datetime
    updated_at: datetime


class NewKey(LimitFields, kw_only=True):
    key_hash: str
    key_name: str
    key_alias: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    models: list[str] = msgspec.field(default_factory=list)
    expires: datetime | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    tags: list[str] = msgspec.field(default_factory=list)
    blocked: bool = False
    created_by: str | None = None
    allowed_routes: list[str] | None = None
    object_permission: dict[str, Any] | None = None
    budget_id: str | None = None
    model_max_budget: dict[str, dict[str, Any]] | None = None


class KeyUpdate(LimitUpdate, kw_only=True):
    key_alias: str | UnsetType | None = UNSET
    user_id: str | UnsetType | None = UNSET
    team_id: str | UnsetType | None = UNSET
    organization_id: str | UnsetType | None = UNSET
    models: list[str] | UnsetType = UNSET
    spend_micros: int | UnsetType = UNSET
    expires: datetime | UnsetType | None = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    tags: list[str] | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET
    allowed_routes: list[str] | UnsetType | None = UNSET
    object_permission: dict[str, Any] | UnsetType | None = UNSET
    budget_id: str | UnsetType | None = UNSET
    model_max_budget: dict[str, dict[str, Any]] | UnsetType | None = UNSET


# ---- users, teams, organizations --------------------------------------------------------------


class UserRecord(LimitFields, kw_only=True):
    user_id: str
    user_alias: str | None = None
    user_email: str | None = None
    user_role: str = "internal_user"
    organization_id: str | None = None
    models: list[str] = msgspec.field(default_factory=list)
    spend_micros: int = 0
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    blocked: bool = False
    created_at: datetime
    updated_at: datetime


class NewUser(LimitFields, kw_only=True):
    user_id: str
    user_alias: str | None = None
    user_email: str | None = None
    user_role: str = "internal_user"
    organization_id: str | None = None
    models: list[str] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    blocked: bool = False


class UserUpdate(LimitUpdate, kw_only=True):
    user_alias: str | UnsetType | None = UNSET
    user_email: str | UnsetType | None = UNSET
    user_role: str | UnsetType = UNSET
    organization_id: str | UnsetType | None = UNSET
    models: list[str] | UnsetType = UNSET
    spend_micros: int | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET


class TeamRecord(LimitFields, kw_only=True):
    team_id: str
    team_alias: str | None = None
    organization_id: str | None = None
    models: list[str] = msgspec.field(default_factory=list)
    spend_micros: int = 0
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    blocked: bool = False
    object_permission: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime


class NewTeam(LimitFields, kw_only=True):
    team_id: str
    team_alias: str | None = None
    organization_id: str | None = None
    models: list[str] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    blocked: bool = False
    object_permission: dict[str, Any] | None = None


class TeamUpdate(LimitUpdate, kw_only=True):
    team_alias: str | UnsetType | None = UNSET
    organization_id: str | UnsetType | None = UNSET
    models: list[str] | UnsetType = UNSET
    spend_micros: int | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET
    object_permission: dict[str, Any] | UnsetType | None = UNSET


class TeamMember(msgspec.Struct, kw_only=True):
    team_id: str
    user_id: str
    role: str = "user"  # "admin" | "user"
    created_at: datetime | None = None


class OrganizationRecord(msgspec.Struct, kw_only=True):
    organization_id: str
    organization_alias: str | None = None
    budget_id: str | None = None
    models: list[str] = msgspec.field(default_factory=list)
    spend_micros: int = 0
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    blocked: bool = False
    created_at: datetime
    updated_at: datetime


class NewOrganization(msgspec.Struct, kw_only=True):
    organization_id: str
    organization_alias: str | None = None
    budget_id: str | None = None
    models: list[str] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    blocked: bool = False


class OrganizationUpdate(msgspec.Struct, kw_only=True):
    organization_alias: str | UnsetType | None = UNSET
    budget_id: str | UnsetType | None = UNSET
    models: list[str] | UnsetType = UNSET
    spend_micros: int | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET


class KeyModelSpend(msgspec.Struct, kw_only=True, frozen=True):
    """A key's spend on one model in the current period of its per-model budget."""

    key_hash: str
    model: str
    spend_micros: int = 0
    budget_reset_at: datetime | None = None


# a model_max_budget entry as stored: {"max_budget_micros": int, "budget_duration": str | None}
MODEL_BUDGET_FIELDS = ("max_budget_micros", "budget_duration")


# ---- budgets and end users ----------------------------------------------------------------------


class BudgetRecord(LimitFields, kw_only=True):
    budget_id: str
    spend_micros: int = 0  # the spend of the keys naming it
    created_at: datetime
    updated_at: datetime


class NewBudget(LimitFields, kw_only=True):
    budget_id: str


class BudgetUpdate(LimitUpdate, kw_only=True):
    pass


class NewEndUser(msgspec.Struct, kw_only=True):
    end_user_id: str
    alias: str | None = None
    budget_id: str | None = None
    spend_micros: int = 0
    blocked: bool = False
    default_model: str | None = None
    allowed_model_region: str | None = None
    metadata: dict[str, Any] | None = None


class EndUserRecord(NewEndUser, kw_only=True):
    created_at: datetime
    updated_at: datetime


class EndUserUpdate(msgspec.Struct, kw_only=True):
    alias: str | UnsetType | None = UNSET
    budget_id: str | UnsetType | None = UNSET
    spend_micros: int | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET
    default_model: str | UnsetType | None = UNSET
    allowed_model_region: str | UnsetType | None = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET


# ---- the auth path ------------------------------------------------------------------------------


class PrincipalRecord(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the auth path needs about one key, read in a single query."""

    key: KeyRecord
    user: UserRecord | None = None
    team: TeamRecord | None = None
    organization: OrganizationRecord | None = None
    organization_budget: BudgetRecord | None = None
    key_budget: BudgetRecord | None = None  # the shared budget the key names (budget_id)
    # the key's spend per model, for the models its model_max_budget names
    model_spend: tuple[KeyModelSpend, ...] = ()


# the change log's kinds for the models and credentials kept in the database (store_model_in_db)
MODEL_CHANGE = "model"
CREDENTIAL_CHANGE = "credential"


class AuthChange(msgspec.Struct, kw_only=True, frozen=True):
    """One change that may alter what a cached principal allows. `kind` is "key" (ident: key hash),
    "user", "team", "organization" or "end_user"."""

    version: int
    kind: str
    ident: str


# ---- spend --------------------------------------------------------------------------------------


class SpendLogRecord(msgspec.Struct, kw_only=True):
    request_id: str
    call_type: str
    start_time: datetime
    end_time: datetime
    model: str
    model_group: str | None = None
    deployment: str | None = None
    provider: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_micros: int = 0
    key_hash: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    end_user: str | None = None
    status: str = "success"  # "success" | "failure"
    error: str | None = None


class SpendLogFilter(msgspec.Struct, kw_only=True):
    key_hash: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    end_user: str | None = None
    model: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    limit: int = 100
    offset: int = 0


class DailySpendRow(msgspec.Struct, kw_only=True):
    day: date
    key_hash: str
    user_id: str
    team_id: str
    organization_id: str
    end_user: str
    model: str
    deployment: str
    provider: str
    requests: int
    failures: int
    prompt_tokens: int
    completion_tokens: int
    cost_micros: int


class DailySpendFilter(msgspec.Struct, kw_only=True):
    key_hash: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    start: date | None = None  # inclusive
    end: date | None = None  # inclusive


class DailyTotal(msgspec.Struct, kw_only=True):
    """One line of a daily report: a day and one grouping value (model, key, user, team...)."""

    day: date
    group: str
    requests: int
    failures: int
    prompt_tokens: int
    completion_tokens: int
    cost_micros: int
