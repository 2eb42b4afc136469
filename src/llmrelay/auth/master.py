"""The authenticators that need no key store: the master key (compared in constant time), and open
access when no master key is configured. Virtual keys plug in as another Authenticator
(auth/authenticator.py) — e.g. one that tries its key cache first and falls back to the master key —
without any route changing."""

from __future__ import annotations

import hmac

from llmrelay.auth.presented import Authenticator, HeaderGetter, presented_key
from llmrelay.calls.principal import ANONYMOUS, MASTER, Principal
from llmrelay.types.errors import AuthenticationError


class MasterKeyAuthenticator:
    """Accepts exactly the configured master key."""

    __slots__ = ("_bearer", "_key")

    def __init__(self, master_key: str) -> None:
        self._key = master_key.encode()
        self._bearer = b"Bearer " + self._key

    def __call__(self, header: HeaderGetter, *, anthropic_dialect: bool) -> Principal:
        authorization = header("authorization")
        # the usual header, exactly "Bearer <key>": one constant-time comparison, no parsing. Any
        # other spelling (or key) goes the whole way below, which compares in constant time too
        if authorization is not None and hmac.compare_digest(authorization.encode(), self._bearer):
            return MASTER
        key = presented_key(header, anthropic_dialect=anthropic_dialect)
        if key is None:
            where = "an Authorization: Bearer header" + (" or x-api-key" if anthropic_dialect else "")
            raise AuthenticationError(f"no API key: send it in {where}", code="missing_api_key")
        if not hmac.compare_digest(key.encode(), self._key):
            raise AuthenticationError("invalid API key", code="invalid_api_key")
        return MASTER

    def __repr__(self) -> str:
        return "MasterKeyAuthenticator(key=set)"


def open_access(header: HeaderGetter, *, anthropic_dialect: bool) -> Principal:
    """No master key configured: everyone is let in (the server warns loudly at startup)."""
    return ANONYMOUS


def authenticator_for(master_key: str | None) -> Authenticator:
    return MasterKeyAuthenticator(master_key) if master_key else open_access
