"""Who is calling: a plain function on the request path, `authenticate(headers, path) -> Principal`.

The master key is compared in constant time. Virtual keys (the keys issue) plug in as another
Authenticator — e.g. one that tries its key cache first and falls back to this one — without any
route changing."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Protocol

import msgspec

from llmrelay.types.errors import AuthenticationError


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The authenticated caller. `key_hash` identifies a key without holding it."""

    kind: str  # "master" | "anonymous" | "virtual_key" (later)
    key_hash: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    # model groups this caller may use; None = all
    models: frozenset[str] | None = None


HeaderGetter = Callable[[str], "str | None"]

ANONYMOUS = Principal(kind="anonymous")
MASTER = Principal(kind="master")


class Authenticator(Protocol):
    """Raises AuthenticationError (401) for a missing or wrong credential."""

    def __call__(self, header: HeaderGetter, *, anthropic_dialect: bool) -> Principal: ...


def presented_key(header: HeaderGetter, *, anthropic_dialect: bool) -> str | None:
    """The key the client sent: `Authorization: Bearer …`, or `x-api-key` on the Anthropic routes."""
    auth = header("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    if anthropic_dialect:
        key = header("x-api-key")
        if key:
            return key.strip()
    return None


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
