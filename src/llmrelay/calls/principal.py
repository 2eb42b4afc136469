"""Who is calling: the authenticated caller, as the gate, the router's records and the spend log see it.

Kept here, below every user of it (authentication in `auth/` and `proxy/`, the gate, callbacks), so
no lower room imports it from the web server."""

from __future__ import annotations

import msgspec

from llmrelay.calls.key_principal import KeyPrincipal


class RouteRule(msgspec.Struct, frozen=True, kw_only=True):
    """The routes a caller may call: exact paths, and path prefixes."""

    paths: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def allows(self, path: str) -> bool:
        return path in self.paths or path.startswith(self.prefixes)


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The authenticated caller. `key_hash` identifies a key without holding it."""

    kind: str  # "master" | "anonymous" | "virtual_key" | "jwt"
    key_hash: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    # model groups this caller may use; None = all
    models: frozenset[str] | None = None
    # a virtual key whose user has an admin role (ADMIN_ROLES): an admin of the gateway
    proxy_admin: bool = False
    # a virtual key: what it may do (limits, budgets, spend, models) as authentication read it, so
    # the key gate checks the call without looking the key up again; None for any other caller
    key: KeyPrincipal | None = None
    # the key cache's generation when `key` was read: the gate reads the key again only if the cache
    # changed since (a delete, block or budget change that landed while the request body was read)
    key_generation: int = 0
    # the routes this caller may call (a JWT's role: auth/jwt_routes.py); None = every route
    routes: RouteRule | None = None
    # a JWT's end user (litellm_jwtauth.end_user_id_jwt_field): their spend and budget, as a
    # request's `user` field would name them
    end_user: str | None = None
    # a dashboard session's user's stored role (kind "sso"): what the admin API's permission table
    # reads for it (a session carries no key whose user row would say)
    user_role: str | None = None

    @property
    def is_admin(self) -> bool:
        """The master key, or a key of an admin user."""
        return self.kind == "master" or self.proxy_admin


# user roles whose keys are admins of the gateway (LiteLLM's proxy_admin)
ADMIN_ROLES = frozenset({"proxy_admin"})

ANONYMOUS = Principal(kind="anonymous")
MASTER = Principal(kind="master")
