"""`general_settings.litellm_jwtauth`, LiteLLM's JWT mapping, as a typed value: which claims name the
user, team, organization and end user, which scope makes an admin, which routes each role may call,
how long public keys are kept.

LiteLLM's fields that llmrelay does not implement are refused when the config is loaded, naming the
field (`UNSUPPORTED`), never silently ignored; a name LiteLLM does not have either is refused as
unknown (a typo would otherwise turn a restriction off)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec

from llmrelay.auth.jwt_routes import ROUTE_GROUPS

# LiteLLM's defaults
DEFAULT_ADMIN_ROUTES = (
    "management_routes",
    "spend_tracking_routes",
    "global_spend_tracking_routes",
    "info_routes",
)
DEFAULT_TEAM_ROUTES = ("openai_routes", "info_routes")
DEFAULT_PUBLIC_ROUTES = ("public_routes",)

# LiteLLM's fields llmrelay refuses, and why (the loader's error names the field)
UNSUPPORTED: Mapping[str, str] = {
    "team_ids_jwt_field": "choosing, per requested model, one of several teams a token lists is not "
    "implemented; name one team with team_id_jwt_field",
    "upsert_sso_user_to_team": "SSO team membership sync is not implemented",
    "team_jwt_scope": "team scopes are not implemented; name the team with team_id_jwt_field",
    "roles_jwt_field": "role mappings are not implemented; use user_roles_jwt_field/user_allowed_roles",
    "role_mappings": "role mappings are not implemented; use user_roles_jwt_field/user_allowed_roles",
    "object_id_jwt_field": "role mappings are not implemented",
    "scope_mappings": "scope-based access is not implemented",
    "enforce_scope_based_access": "scope-based access is not implemented",
    "enforce_team_based_model_access": "a team's model list always applies to its tokens in llmrelay",
    "custom_validate": "no custom validation hook: llmrelay imports no code named in its config",
    "jwt_litellm_role_map": "syncing roles from the identity provider is not implemented",
    "sync_user_role_and_teams": "syncing roles and teams from the identity provider is not implemented",
    "issuers": "several issuers are not implemented: set JWT_ISSUER and JWT_PUBLIC_KEY_URL",
    "public_key_stale_ttl": "stale public keys are never used past public_key_ttl",
    "org_id_upsert": "organizations are never created from a token",
}

RouteList = Annotated[list[str], msgspec.Meta(max_length=256)]
ClaimPath = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class JwtAuthSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """LiteLLM's `LiteLLM_JWTAuth` fields that llmrelay implements (docs/security.md)."""

    admin_jwt_scope: str = "litellm_proxy_admin"
    admin_allowed_routes: RouteList = msgspec.field(default_factory=lambda: list(DEFAULT_ADMIN_ROUTES))
    team_id_jwt_field: ClaimPath | None = None
    team_id_default: str | None = None
    team_id_upsert: bool = False
    team_allowed_routes: RouteList = msgspec.field(default_factory=lambda: list(DEFAULT_TEAM_ROUTES))
    org_id_jwt_field: ClaimPath | None = None
    user_id_jwt_field: ClaimPath | None = None
    user_email_jwt_field: ClaimPath | None = None
    user_allowed_email_domain: str | None = None
    user_roles_jwt_field: ClaimPath | None = None
    user_allowed_roles: list[str] | None = None
    user_id_upsert: bool = False
    end_user_id_jwt_field: ClaimPath | None = None
    # seconds the public keys are kept before they are fetched again (LiteLLM's default, 600)
    public_key_ttl: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 600.0
    public_allowed_routes: RouteList = msgspec.field(default_factory=lambda: list(DEFAULT_PUBLIC_ROUTES))
    # LiteLLM's: a token that maps to no role (no admin scope, team or user) is refused outright
    enforce_rbac: bool = False
    # the unsupported fields, accepted by the decoder only to be refused by name in __post_init__
    team_ids_jwt_field: Any = None
    upsert_sso_user_to_team: Any = None
    team_jwt_scope: Any = None
    roles_jwt_field: Any = None
    role_mappings: Any = None
    object_id_jwt_field: Any = None
    scope_mappings: Any = None
    enforce_scope_based_access: Any = None
    enforce_team_based_model_access: Any = None
    custom_validate: Any = None
    jwt_litellm_role_map: Any = None
    sync_user_role_and_teams: Any = None
    issuers: Any = None
    public_key_stale_ttl: Any = None
    org_id_upsert: Any = None

    def __post_init__(self) -> None:
        for name, why in UNSUPPORTED.items():
            if getattr(self, name) not in (None, False, [], {}):
                raise ValueError(f"litellm_jwtauth.{name} is not supported by llmrelay: {why}")
        if (self.user_roles_jwt_field is None) != (self.user_allowed_roles is None):
            raise ValueError("user_allowed_roles and user_roles_jwt_field are set together (LiteLLM's rule)")
        for field in ("admin_allowed_routes", "team_allowed_routes", "public_allowed_routes"):
            for route in getattr(self, field):
                if not route.startswith("/") and route not in ROUTE_GROUPS:
                    raise ValueError(
                        f"litellm_jwtauth.{field}: {route!r} is neither a path (starting with /) nor one "
                        f"of the route groups {', '.join(sorted(ROUTE_GROUPS))}"
                    )


class JwtEnvironment(msgspec.Struct, frozen=True, kw_only=True):
    """What LiteLLM reads from the environment for JWT auth: the JWKS addresses and the audience;
    and llmrelay's issuer check."""

    public_key_urls: tuple[str, ...]
    audience: str | None = None
    issuer: str | None = None

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> JwtEnvironment:
        urls = tuple(u.strip() for u in environ.get("JWT_PUBLIC_KEY_URL", "").split(",") if u.strip())
        if not urls:
            raise ValueError(
                "enable_jwt_auth needs JWT_PUBLIC_KEY_URL: the JWKS address(es), comma-separated"
            )
        for url in urls:
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"JWT_PUBLIC_KEY_URL: {url!r} is not an http(s) address")
        return cls(
            public_key_urls=urls,
            audience=environ.get("JWT_AUDIENCE") or None,
            issuer=environ.get("JWT_ISSUER") or None,
        )
