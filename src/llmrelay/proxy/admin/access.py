"""Who may use the admin API: the master key, a key of a `proxy_admin` user or a JWT with the admin
scope manage everything; an internal user's key (or JWT) manages only that user's own keys and reads
only that user's spend."""

from __future__ import annotations

import msgspec

from llmrelay.auth.authenticator import KeyAuthenticator
from llmrelay.calls.principal import ADMIN_ROLES, Principal
from llmrelay.types.errors import AuthenticationError, PermissionDeniedError

JWT_MARK = "jwt"
SSO_MARK = "sso"


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    is_admin: bool
    user_id: str | None = None
    key_hash: str | None = None  # the acting virtual key's hash; None for the master key

    def require_admin(self, action: str) -> None:
        if not self.is_admin:
            raise PermissionDeniedError(f"{action} needs the master key or an admin", code="not_admin")

    def require_user(self, action: str) -> str:
        if self.user_id is None:
            raise PermissionDeniedError(f"{action} needs a key that belongs to a user", code="no_user")
        return self.user_id

    def may_manage(self, owner_user_id: str | None) -> bool:
        return self.is_admin or (self.user_id is not None and owner_user_id == self.user_id)


def caller_of(principal: Principal, keys: KeyAuthenticator) -> Caller:
    if principal.kind == "master":
        return Caller(is_admin=True)
    if principal.kind == "virtual_key" and principal.key_hash is not None:
        found = keys.current(principal)
        role = found.user_role if found is not None else None
        return Caller(is_admin=role in ADMIN_ROLES, user_id=principal.user_id, key_hash=principal.key_hash)
    if principal.kind == "jwt":
        # a JWT: an admin by the admin scope (litellm_jwtauth.admin_jwt_scope), else its user; the
        # audit log names it JWT_MARK where a key's hash would be
        return Caller(is_admin=principal.proxy_admin, user_id=principal.user_id, key_hash=JWT_MARK)
    if principal.kind == "sso":
        # a dashboard session (auth/sso_sessions.py): its user's role, read with the session on this
        # request; the audit log names it SSO_MARK where a key's hash would be
        return Caller(is_admin=principal.proxy_admin, user_id=principal.user_id, key_hash=SSO_MARK)
    raise AuthenticationError(
        "the admin API needs a master key to be configured and sent", code="no_master_key"
    )
