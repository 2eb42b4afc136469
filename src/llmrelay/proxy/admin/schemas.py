"""Request bodies of the admin API, with LiteLLM's field names. Money arrives as float USD.

Every value is bounded here, by its type, so that what a caller sends is either stored as it stands
or refused with a 400 naming the field (msgspec checks these while decoding; proxy/admin/io.py turns
its error into the answer): no value may reach the database and fail there (a 500). The bounds are
the columns' (storage/schema.py): ids fit String(64), names and aliases String(255), request counts
a 32-bit Integer, token counts and money (micro-USD) a 64-bit BigInteger; durations are checked by
storage/durations.py. Strings that identify something hold no control character; NUL bytes, which
PostgreSQL cannot store even inside JSON, are refused anywhere in a body (io.read_body).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

# no control characters (U+0000 to U+001F, U+007F) in a string that names or identifies something
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
ID_CHARS = 64  # key, user, team, organization and budget id columns
NAME_CHARS = 255  # aliases, emails, end-user ids, model names, tags
# the most USD a budget or a spend may be: a trillion, well inside BigInteger micro-USD (9.2e12 USD)
MAX_USD = 1e12
MAX_INT32 = 2**31 - 1  # rpm_limit, max_parallel_requests (Integer columns)
MAX_INT64 = 2**63 - 1  # tpm_limit (BigInteger)

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=ID_CHARS, pattern=PRINTABLE)]
Name = Annotated[str, msgspec.Meta(max_length=NAME_CHARS, pattern=PRINTABLE)]
ModelName = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_CHARS, pattern=PRINTABLE)]
Usd = Annotated[float, msgspec.Meta(ge=0, le=MAX_USD)]
Count32 = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT32)]
Count64 = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT64)]
# "30d", "1mo": the form and a largest span are checked by storage/durations.validate_duration
Duration = Annotated[str, msgspec.Meta(max_length=32)]

# the end_users and budgets columns' lengths
EndUserId = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_CHARS, pattern=PRINTABLE)]
BudgetId = Id
Region = Literal["eu", "us"]


ServerName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")]
ToolName = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=PRINTABLE)]


class ObjectPermission(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """LiteLLM's object_permission, the MCP part: the servers a key or team may use (empty: every
    server) and, per server, the only tools it may call. LiteLLM's other entries (vector stores,
    agents, access groups) are refused with a 400 naming them."""

    mcp_servers: Annotated[list[ServerName], msgspec.Meta(max_length=64)] = msgspec.field(
        default_factory=list
    )
    mcp_tool_permissions: Annotated[
        dict[ServerName, Annotated[list[ToolName], msgspec.Meta(max_length=256)]], msgspec.Meta(max_length=64)
    ] = msgspec.field(default_factory=dict)


def stored_permission(value: ObjectPermission | None) -> dict[str, Any] | None:
    """The JSON the key's or team's row keeps (None: no restriction)."""
    if value is None:
        return None
    plain: dict[str, Any] = msgspec.to_builtins(value)
    return plain or None


class LimitsIn(msgspec.Struct, kw_only=True):
    max_budget: Usd | UnsetType | None = UNSET
    soft_budget: Usd | UnsetType | None = UNSET
    budget_duration: Duration | UnsetType | None = UNSET
    rpm_limit: Count32 | UnsetType | None = UNSET
    tpm_limit: Count64 | UnsetType | None = UNSET
    max_parallel_requests: Count32 | UnsetType | None = UNSET


class ModelBudgetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One entry of LiteLLM's `model_max_budget` (its BudgetConfig): `max_budget` (or its older
    name `budget_limit`) in USD, `budget_duration` (or `time_period`). Per-model rate limits are
    set in the key's metadata (`model_rpm_limit`, `model_tpm_limit`): here they are refused."""

    max_budget: Usd | None = None
    budget_limit: Usd | None = None
    budget_duration: Duration | None = None
    time_period: Duration | None = None
    tpm_limit: Count64 | None = None
    rpm_limit: Count32 | None = None


# at most this many models in a key's model_max_budget
MAX_MODEL_BUDGETS = 100
ModelBudgets = Annotated[dict[ModelName, ModelBudgetIn], msgspec.Meta(max_length=MAX_MODEL_BUDGETS)]


class GenerateKeyRequest(LimitsIn, kw_only=True):
    # a caller-chosen key (must start with sk-); generated otherwise. Only its hash is stored.
    key: Annotated[str, msgspec.Meta(max_length=NAME_CHARS, pattern=PRINTABLE)] | None = None
    key_alias: Name | None = None
    duration: Duration | None = None  # "30d": the key expires that long after creation
    models: list[Name] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    tags: list[Name] = msgspec.field(default_factory=list)
    user_id: Id | None = None
    team_id: Id | None = None
    organization_id: Id | None = None
    blocked: bool = False
    # LiteLLM's: the only routes the key may call (paths, `/prefix/*` or route groups)
    allowed_routes: list[Name] = msgspec.field(default_factory=list)
    object_permission: ObjectPermission | None = None
    # LiteLLM's: a shared budget (/budget/new) the key spends from
    budget_id: BudgetId | None = None
    # LiteLLM's: a budget per model, {model: {max_budget, budget_duration}}
    model_max_budget: ModelBudgets = msgspec.field(default_factory=dict)


class UpdateKeyRequest(LimitsIn, kw_only=True):
    key: str
    key_alias: Name | UnsetType | None = UNSET
    duration: Duration | UnsetType | None = UNSET  # resets expiry to now + duration; None = never
    models: list[Name] | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    tags: list[Name] | UnsetType = UNSET
    user_id: Id | UnsetType | None = UNSET
    team_id: Id | UnsetType | None = UNSET
    blocked: bool | UnsetType = UNSET
    spend: Usd | UnsetType = UNSET
    allowed_routes: list[Name] | UnsetType | None = UNSET
    object_permission: ObjectPermission | UnsetType | None = UNSET
    budget_id: BudgetId | UnsetType | None = UNSET
    model_max_budget: ModelBudgets | UnsetType | None = UNSET


class KeyRef(msgspec.Struct, kw_only=True):
    key: str


class RegenerateKeyRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """LiteLLM's /key/regenerate: the key keeps every setting; `new_key` chooses its new value (as
    `key` does on /key/generate). Other fields are refused rather than ignored: change settings with
    /key/update."""

    key: str
    new_key: str | None = None


class DeleteKeysRequest(msgspec.Struct, kw_only=True):
    keys: list[Annotated[str, msgspec.Meta(max_length=NAME_CHARS, pattern=PRINTABLE)]] = msgspec.field(
        default_factory=list
    )
    key_aliases: list[Name] = msgspec.field(default_factory=list)


class NewUserRequest(LimitsIn, kw_only=True):
    user_id: Id | None = None
    user_alias: Name | None = None
    user_email: Name | None = None
    user_role: Name = "internal_user"
    organization_id: Id | None = None
    teams: list[Id] = msgspec.field(default_factory=list)
    models: list[Name] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    auto_create_key: bool = True  # LiteLLM's default: /user/new also returns a key for the user
    key_alias: Name | None = None
    duration: Duration | None = None


class UpdateUserRequest(LimitsIn, kw_only=True):
    user_id: Id
    user_alias: Name | UnsetType | None = UNSET
    user_email: Name | UnsetType | None = UNSET
    user_role: Name | UnsetType = UNSET
    models: list[Name] | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    spend: Usd | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET


class DeleteUsersRequest(msgspec.Struct, kw_only=True):
    user_ids: list[Id]


class Member(msgspec.Struct, kw_only=True):
    user_id: Id
    role: Name = "user"  # "admin" | "user"


# LiteLLM's team-wide per-model budgets are not kept on teams here (a key's are): only an empty
# or null value is accepted, anything else is a 400 naming the field, never stored and ignored
NoTeamModelBudgets = Annotated[dict[str, Any], msgspec.Meta(max_length=0)]


class NewTeamRequest(LimitsIn, kw_only=True):
    team_id: Id | None = None
    team_alias: Name | None = None
    organization_id: Id | None = None
    members_with_roles: list[Member] = msgspec.field(default_factory=list)
    models: list[Name] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    blocked: bool = False
    object_permission: ObjectPermission | None = None
    model_max_budget: NoTeamModelBudgets | None = None


class UpdateTeamRequest(LimitsIn, kw_only=True):
    team_id: Id
    team_alias: Name | UnsetType | None = UNSET
    organization_id: Id | UnsetType | None = UNSET
    models: list[Name] | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET
    spend: Usd | UnsetType = UNSET
    object_permission: ObjectPermission | UnsetType | None = UNSET
    model_max_budget: NoTeamModelBudgets | UnsetType | None = UNSET


class DeleteTeamsRequest(msgspec.Struct, kw_only=True):
    team_ids: list[Id]


class MemberAddRequest(msgspec.Struct, kw_only=True):
    team_id: Id
    member: Member | list[Member]


class MemberDeleteRequest(msgspec.Struct, kw_only=True):
    team_id: Id
    user_id: Id


class NewEndUserRequest(LimitsIn, kw_only=True):
    """LiteLLM's /end_user/new (/customer/new). Limits make a budget for the end user; budget_id
    links an existing one instead."""

    user_id: EndUserId
    alias: Name | None = None
    blocked: bool = False
    budget_id: BudgetId | None = None
    spend: Usd | None = None
    # the end user's calls go only to deployments in this region ("eu" | "us")
    allowed_model_region: Region | None = None
    # used instead of the asked model when it has no deployment in allowed_model_region
    default_model: ModelName | None = None
    metadata: dict[str, Any] | None = None


class UpdateEndUserRequest(LimitsIn, kw_only=True):
    """Limits change the end user's budget (made for them if they have none); `null` clears."""

    user_id: EndUserId
    alias: Name | UnsetType | None = UNSET
    blocked: bool | UnsetType = UNSET
    budget_id: BudgetId | UnsetType | None = UNSET
    spend: Usd | UnsetType = UNSET
    allowed_model_region: Region | UnsetType | None = UNSET
    default_model: ModelName | UnsetType | None = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET


class EndUserIds(msgspec.Struct, kw_only=True):
    """The body of /end_user/delete, /block and /unblock."""

    user_ids: Annotated[list[EndUserId], msgspec.Meta(min_length=1)]


# ---- organizations: LiteLLM's bodies. Fields it has that llmrelay does not implement yet
# (model_rpm_limit, model_tpm_limit, model_max_budget, object_permission, tags...) are refused with a
# 400 naming them (forbid_unknown_fields), never dropped. Limits make the organization's budget.


class NewOrganizationRequest(LimitsIn, kw_only=True, forbid_unknown_fields=True):
    organization_id: Id | None = None
    organization_alias: Name | None = None
    budget_id: BudgetId | None = None  # link an existing budget instead of giving limits
    models: list[Name] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    blocked: bool = False


class UpdateOrganizationRequest(LimitsIn, kw_only=True, forbid_unknown_fields=True):
    organization_id: Id
    organization_alias: Name | UnsetType | None = UNSET
    budget_id: BudgetId | UnsetType | None = UNSET
    models: list[Name] | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET
    spend: Usd | UnsetType = UNSET


class DeleteOrganizationsRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    organization_ids: Annotated[list[Id], msgspec.Meta(min_length=1)]


class OrganizationMember(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    user_id: Id
    # LiteLLM's organization roles; only `internal_user` has a meaning here (see organizations.py)
    role: Name = "internal_user"


class OrganizationMemberAddRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    organization_id: Id
    member: OrganizationMember | list[OrganizationMember]


# ---- shared budgets (/budget/*) ----


class BudgetNewRequest(LimitsIn, kw_only=True, forbid_unknown_fields=True):
    """LiteLLM's BudgetNewRequest. `model_max_budget` and `tpd_limit` (and an explicit first
    `budget_reset_at`) are not kept on a shared budget here: a value other than null is refused
    (400 naming it) rather than stored and ignored."""

    budget_id: BudgetId | None = None
    model_max_budget: dict[str, Any] | None = None
    tpd_limit: int | None = None
    budget_reset_at: str | None = None


class BudgetUpdateRequest(BudgetNewRequest, kw_only=True, forbid_unknown_fields=True):
    pass


class BudgetInfoRequest(msgspec.Struct, kw_only=True):
    budgets: Annotated[list[BudgetId], msgspec.Meta(min_length=1, max_length=1000)]


class BudgetDeleteRequest(msgspec.Struct, kw_only=True):
    id: BudgetId
