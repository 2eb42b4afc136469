"""Who is calling the admin API, and what they may reach.

`caller_of` reads the caller's user role from the authenticated principal: the master key, a key of
a `proxy_admin` user or a JWT with the admin scope is a proxy admin; any other key or JWT acts with
its user's role (`internal_user` when it has none). The guard (api.py) then looks the route up in
the permission table (permission_table.py), loads the memberships a scoped grant needs (the teams
the caller is an admin of, an org admin's organization) and hands the handler a Caller carrying the
scopes it was granted for this route."""

from __future__ import annotations

import msgspec

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.calls.principal import ADMIN_ROLES, Principal
from llmrelay.proxy.admin.permission_table import INTERNAL_USER, PROXY_ADMIN, USER_ROLES, Scope
from llmrelay.types.errors import AuthenticationError, PermissionDeniedError

JWT_MARK = "jwt"
SSO_MARK = "sso"


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    is_admin: bool  # a proxy admin: may do everything
    user_id: str | None = None
    key_hash: str | None = None  # the acting virtual key's hash; None for the master key
    role: str = INTERNAL_USER  # the user role (permission_table.ROLES)
    # what the permission table granted this caller on the route being served; a proxy admin's
    # caller built outside the guard holds every scope
    scopes: frozenset[Scope] = frozenset()
    # the teams whose `admin` the caller is (loaded when a route grants team_admin something)
    admin_of_teams: frozenset[str] = frozenset()
    # an org admin's organization (loaded when a route grants org_admin something)
    organization_id: str | None = None

    @property
    def sees_all(self) -> bool:
        """Reaches everything on this route: a proxy admin, or a proxy admin viewer on a read."""
        return self.is_admin or Scope.ALL in self.scopes

    def require_admin(self, action: str) -> None:
        if not self.is_admin:
            raise PermissionDeniedError(f"{action} needs the master key or an admin", code="not_admin")

    def require_user(self, action: str) -> str:
        if self.user_id is None:
            raise PermissionDeniedError(f"{action} needs a key that belongs to a user", code="no_user")
        return self.user_id

    def may_reach(
        self, user_id: str | None, team_id: str | None = None, organization_id: str | None = None
    ) -> bool:
        """Whether the object owned by `user_id` (in `team_id`, in `organization_id`) is within the
        scopes granted on this route."""
        if self.sees_all:
            return True
        scopes = self.scopes
        if Scope.OWN in scopes and self.user_id is not None and user_id == self.user_id:
            return True
        if Scope.TEAM in scopes and team_id is not None and team_id in self.admin_of_teams:
            return True
        return (
            Scope.ORG in scopes
            and self.organization_id is not None
            and organization_id == self.organization_id
        )

    def may_manage(self, owner_user_id: str | None) -> bool:
        """An object owned by `owner_user_id` and in no team: the caller's own, or everything."""
        return self.may_reach(owner_user_id)

    def team_admin_of(self, team_id: str | None) -> bool:
        return team_id is not None and Scope.TEAM in self.scopes and team_id in self.admin_of_teams

    def org_admin_of(self, organization_id: str | None) -> bool:
        return (
            organization_id is not None
            and Scope.ORG in self.scopes
            and self.organization_id == organization_id
        )


def _role(stored: str | None) -> str:
    # a key without a user, or a role this version does not know, acts as an internal user
    return stored if stored in USER_ROLES else INTERNAL_USER


def caller_of(principal: Principal, keys: KeyAuthenticator) -> Caller:
    if principal.kind == "master":
        return Caller(is_admin=True, role=PROXY_ADMIN, scopes=frozenset({Scope.ALL}))
    if principal.kind == "virtual_key" and principal.key_hash is not None:
        found = keys.current(principal)
        role = found.user_role if found is not None else None
        admin = role in ADMIN_ROLES
        return Caller(
            is_admin=admin,
            user_id=principal.user_id,
            key_hash=principal.key_hash,
            role=PROXY_ADMIN if admin else _role(role),
            scopes=frozenset({Scope.ALL}) if admin else frozenset(),
        )
    if principal.kind == "jwt":
        # a JWT: an admin by the admin scope (litellm_jwtauth.admin_jwt_scope), else its user's
        # role; the audit log names it JWT_MARK where a key's hash would be
        admin = principal.proxy_admin
        stored = principal.key.user_role if principal.key is not None else None
        return Caller(
            is_admin=admin,
            user_id=principal.user_id,
            key_hash=JWT_MARK,
            role=PROXY_ADMIN if admin else _role(stored),
            scopes=frozenset({Scope.ALL}) if admin else frozenset(),
        )
    if principal.kind == "sso":
        # a dashboard session (auth/sso_sessions.py): its user's role, read with the session on this
        # request; the audit log names it SSO_MARK where a key's hash would be
        admin = principal.proxy_admin
        return Caller(
            is_admin=admin,
            user_id=principal.user_id,
            key_hash=SSO_MARK,
            role=PROXY_ADMIN if admin else _role(principal.user_role),
            scopes=frozenset({Scope.ALL}) if admin else frozenset(),
        )
    raise AuthenticationError(
        "the admin API needs a master key to be configured and sent", code="no_master_key"
    )
