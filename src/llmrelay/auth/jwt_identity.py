"""Who a verified JWT names, by LiteLLM's mapping (`litellm_jwtauth`): its user, team, organization
and end user (each a claim, dotted paths reach into nested claims), and its role, in LiteLLM's
order — the admin scope makes a proxy admin; else a team makes a team caller; else a user (or an
allowed user role) an internal user; else no role. The routes a role may call follow from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmrelay.auth.jwt_routes import route_rule
from llmrelay.auth.jwt_settings import DEFAULT_TEAM_ROUTES, JwtAuthSettings
from llmrelay.calls.principal import RouteRule
from llmrelay.types.errors import AuthenticationError, PermissionDeniedError

MAX_ID_LENGTH = 256  # as the admin API's ids


class JwtIdentity(msgspec.Struct, frozen=True, kw_only=True):
    role: str | None  # "proxy_admin" | "team" | "internal_user" | None
    user_id: str | None = None
    user_email: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    end_user_id: str | None = None

    @property
    def cache_key(self) -> tuple[str | None, ...]:
        return (self.role, self.user_id, self.team_id, self.organization_id, self.user_email)


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name, or by dotted path into nested objects (LiteLLM's spelling)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _ident(claims: Mapping[str, Any], path: str | None, what: str) -> str | None:
    if path is None:
        return None
    value = claim(claims, path)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise AuthenticationError(f"the token's {what} claim is not a string", code="invalid_jwt")
    text = str(value)
    if len(text) > MAX_ID_LENGTH:
        raise AuthenticationError(f"the token's {what} claim is too long", code="invalid_jwt")
    return text


def scopes(claims: Mapping[str, Any]) -> list[str]:
    """The token's scopes: `scope` (space-separated, RFC 8693) or `scp` (a list, as Azure AD)."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [s for s in value if isinstance(s, str)]
    return []


def _roles(claims: Mapping[str, Any], path: str) -> list[str]:
    value = claim(claims, path)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [r for r in value if isinstance(r, str)]
    return []


class IdentityMapper:
    def __init__(self, settings: JwtAuthSettings) -> None:
        self.settings = settings
        self._routes: dict[str | None, RouteRule] = {
            "proxy_admin": route_rule(settings.admin_allowed_routes),
            "team": route_rule(settings.team_allowed_routes),
            # LiteLLM's internal users call the model routes and read what is theirs
            "internal_user": route_rule(DEFAULT_TEAM_ROUTES),
            None: route_rule(settings.public_allowed_routes),
        }

    def identity(self, claims: Mapping[str, Any]) -> JwtIdentity:
        s = self.settings
        user_id = _ident(claims, s.user_id_jwt_field, "user id")
        email = _ident(claims, s.user_email_jwt_field, "user email")
        domain = s.user_allowed_email_domain
        # stricter than LiteLLM, which lets a token without an email through: the domain is required
        if domain is not None and (email is None or not email.lower().endswith("@" + domain.lower())):
            raise PermissionDeniedError("the token's email domain is not allowed", code="jwt_not_allowed")
        team_id = _ident(claims, s.team_id_jwt_field, "team id") or s.team_id_default
        allowed_role = False
        if s.user_roles_jwt_field is not None and s.user_allowed_roles is not None:
            allowed_role = bool(set(_roles(claims, s.user_roles_jwt_field)) & set(s.user_allowed_roles))
            if not allowed_role:
                raise PermissionDeniedError("the token's roles are not allowed", code="jwt_not_allowed")
        if s.admin_jwt_scope in scopes(claims):
            role: str | None = "proxy_admin"
        elif team_id is not None:
            role = "team"
        elif user_id is not None or allowed_role:
            role = "internal_user"
        else:
            role = None
        if role is None and s.enforce_rbac:
            raise PermissionDeniedError(
                "the token maps to no role: no admin scope, team or user", code="jwt_no_role"
            )
        return JwtIdentity(
            role=role,
            user_id=user_id,
            user_email=email,
            team_id=team_id,
            organization_id=_ident(claims, s.org_id_jwt_field, "organization id"),
            end_user_id=_ident(claims, s.end_user_id_jwt_field, "end user id"),
        )

    def routes(self, role: str | None) -> RouteRule:
        return self._routes[role]
