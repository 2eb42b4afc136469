"""`KeyAuthenticator`: the gateway's auth seam (llmrelay.auth.presented.Authenticator) for virtual keys.

Per request: one SHA-256 of the presented key, a constant-time comparison with the master key's
digest, one dict lookup, and the expiry/blocked checks — no database, no await. The cache is a full
replica of the keys (PrincipalSync), so a miss means "unknown key"; a miss also starts a bounded
background load, which covers a key created on another instance in the instant before its
announcement arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from llmrelay.auth.cache import PrincipalCache
from llmrelay.auth.keys import MAX_KEY_LENGTH, MasterKey, key_digest
from llmrelay.auth.presented import HeaderGetter, presented_key
from llmrelay.auth.sync import PrincipalSync
from llmrelay.calls.key_principal import KeyPrincipal
from llmrelay.calls.principal import ADMIN_ROLES, MASTER, Principal
from llmrelay.types.errors import AuthenticationError


class KeyAuthenticator:
    __slots__ = ("_clock", "_master", "cache", "sync")

    def __init__(
        self,
        sync: PrincipalSync,
        master_key: MasterKey | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sync = sync
        self.cache: PrincipalCache = sync.cache
        self._master = master_key
        self._clock = clock

    def __call__(self, header: HeaderGetter, *, anthropic_dialect: bool) -> Principal:
        key = presented_key(header, anthropic_dialect=anthropic_dialect)
        if key is None:
            where = "an Authorization: Bearer header" + (" or x-api-key" if anthropic_dialect else "")
            raise AuthenticationError(f"no API key: send it in {where}", code="missing_api_key")
        return self.authenticate(key)

    def authenticate(self, key: str) -> Principal:
        """The gateway's Principal for a presented key, or AuthenticationError (401)."""
        if len(key) > MAX_KEY_LENGTH:
            raise AuthenticationError("invalid API key", code="invalid_api_key")
        digest = key_digest(key)
        if self._master is not None and self._master.matches_digest(digest):
            return MASTER
        generation = self.cache.generation
        found = self.check(digest.hex())
        return Principal(
            kind="virtual_key",
            key_hash=found.key_hash,
            user_id=found.user_id,
            team_id=found.team_id,
            models=found.models,
            proxy_admin=found.user_role in ADMIN_ROLES,
            key=found,
            key_generation=generation,
        )

    def is_master(self, key: str) -> bool:
        """Whether `key` is the master key (constant time): no virtual key may take its value."""
        return self._master is not None and len(key) <= MAX_KEY_LENGTH and self._master.matches(key)

    def check(self, key_hash: str) -> KeyPrincipal:
        """The cached principal for a key hash, if it may be used now; else AuthenticationError."""
        found = self.cache.get(key_hash)
        if found is None:
            self.sync.load_in_background(key_hash)
            raise AuthenticationError("invalid API key", code="invalid_api_key")
        if found.blocked_by is not None:
            raise AuthenticationError(f"this key's {found.blocked_by} is blocked", code="key_blocked")
        if found.expired(self._clock()):
            raise AuthenticationError("this key has expired", code="key_expired")
        return found

    def principal(self, key_hash: str) -> KeyPrincipal | None:
        """The full principal (limits, budgets, spend) for enforcement after authentication."""
        return self.cache.get(key_hash)

    def current(self, principal: Principal) -> KeyPrincipal | None:
        """The key as it is now, for the gate after the request body was read: the one authentication
        read while the cache has not changed since (the common case: no second lookup), else the
        cache's entry now, as a second read would find it (None: deleted meanwhile)."""
        key = principal.key
        if key is not None and principal.key_generation == self.cache.generation:
            return key
        return None if principal.key_hash is None else self.cache.get(principal.key_hash)

    def __repr__(self) -> str:
        return f"KeyAuthenticator(keys={len(self.cache)}, master={'set' if self._master else 'unset'})"
