"""Request bodies of the admin API, with LiteLLM's field names. Money arrives as float USD."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

# the end_users and budgets columns' lengths
EndUserId = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
BudgetId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Region = Literal["eu", "us"]


class LimitsIn(msgspec.Struct, kw_only=True):
    max_budget: float | UnsetType | None = UNSET
    soft_budget: float | UnsetType | None = UNSET
    budget_duration: str | UnsetType | None = UNSET
    rpm_limit: int | UnsetType | None = UNSET
    tpm_limit: int | UnsetType | None = UNSET
    max_parallel_requests: int | UnsetType | None = UNSET


class GenerateKeyRequest(LimitsIn, kw_only=True):
    key: str | None = None  # a caller-chosen key (must start with sk-); generated otherwise
    key_alias: str | None = None
    duration: str | None = None  # "30d": the key expires that long after creation
    models: list[str] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    tags: list[str] = msgspec.field(default_factory=list)
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    blocked: bool = False


class UpdateKeyRequest(LimitsIn, kw_only=True):
    key: str
    key_alias: str | UnsetType | None = UNSET
    duration: str | UnsetType | None = UNSET  # resets expiry to now + duration; None = never expires
    models: list[str] | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    tags: list[str] | UnsetType = UNSET
    user_id: str | UnsetType | None = UNSET
    team_id: str | UnsetType | None = UNSET
    blocked: bool | UnsetType = UNSET
    spend: float | UnsetType = UNSET


class KeyRef(msgspec.Struct, kw_only=True):
    key: str


class RegenerateKeyRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """LiteLLM's /key/regenerate: the key keeps every setting; `new_key` chooses its new value (as
    `key` does on /key/generate). Other fields are refused rather than ignored: change settings with
    /key/update."""

    key: str
    new_key: str | None = None


class DeleteKeysRequest(msgspec.Struct, kw_only=True):
    keys: list[str] = msgspec.field(default_factory=list)
    key_aliases: list[str] = msgspec.field(default_factory=list)


class NewUserRequest(LimitsIn, kw_only=True):
    user_id: str | None = None
    user_alias: str | None = None
    user_email: str | None = None
    user_role: str = "internal_user"
    organization_id: str | None = None
    teams: list[str] = msgspec.field(default_factory=list)
    models: list[str] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    auto_create_key: bool = True  # LiteLLM's default: /user/new also returns a key for the user
    key_alias: str | None = None
    duration: str | None = None


class UpdateUserRequest(LimitsIn, kw_only=True):
    user_id: str
    user_alias: str | UnsetType | None = UNSET
    user_email: str | UnsetType | None = UNSET
    user_role: str | UnsetType = UNSET
    models: list[str] | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    spend: float | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET


class DeleteUsersRequest(msgspec.Struct, kw_only=True):
    user_ids: list[str]


class Member(msgspec.Struct, kw_only=True):
    user_id: str
    role: str = "user"  # "admin" | "user"


class NewTeamRequest(LimitsIn, kw_only=True):
    team_id: str | None = None
    team_alias: str | None = None
    organization_id: str | None = None
    members_with_roles: list[Member] = msgspec.field(default_factory=list)
    models: list[str] = msgspec.field(default_factory=list)
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    blocked: bool = False


class UpdateTeamRequest(LimitsIn, kw_only=True):
    team_id: str
    team_alias: str | UnsetType | None = UNSET
    organization_id: str | UnsetType | None = UNSET
    models: list[str] | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    blocked: bool | UnsetType = UNSET
    spend: float | UnsetType = UNSET


class DeleteTeamsRequest(msgspec.Struct, kw_only=True):
    team_ids: list[str]


class MemberAddRequest(msgspec.Struct, kw_only=True):
    team_id: str
    member: Member | list[Member]


class MemberDeleteRequest(msgspec.Struct, kw_only=True):
    team_id: str
    user_id: str


class NewEndUserRequest(LimitsIn, kw_only=True):
    """LiteLLM's /end_user/new (/customer/new). Limits make a budget for the end user; budget_id
    links an existing one instead."""

    user_id: EndUserId
    alias: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    blocked: bool = False
    budget_id: BudgetId | None = None
    spend: float | None = None
    # the end user's calls go only to deployments in this region ("eu" | "us")
    allowed_model_region: Region | None = None
    # used instead of the asked model when it has no deployment in allowed_model_region
    default_model: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    metadata: dict[str, Any] | None = None


class UpdateEndUserRequest(LimitsIn, kw_only=True):
    """Limits change the end user's budget (made for them if they have none); `null` clears."""

    user_id: EndUserId
    alias: Annotated[str, msgspec.Meta(max_length=255)] | UnsetType | None = UNSET
    blocked: bool | UnsetType = UNSET
    budget_id: BudgetId | UnsetType | None = UNSET
    spend: float | UnsetType = UNSET
    allowed_model_region: Region | UnsetType | None = UNSET
    default_model: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | UnsetType | None = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET


class EndUserIds(msgspec.Struct, kw_only=True):
    """The body of /end_user/delete, /block and /unblock."""

    user_ids: Annotated[list[EndUserId], msgspec.Meta(min_length=1)]
