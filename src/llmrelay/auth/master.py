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

    __slots__ = ("_key",)

    def __init__(self, master_key: str) -> None:
        self._key = master_key.encode()

    def __call__(self, header: HeaderGetter, *, anthropic_dialect: bool) -> Principal:
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
