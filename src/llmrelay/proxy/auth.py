"""Who is calling: a plain function on the request path, `authenticate(headers, path) -> Principal`.

The master key is compared in constant time. Virtual keys (the keys issue) plug in as another
Authenticator — e.g. one that tries its key cache first and falls back to this one — without any
route changing."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Protocol

import msgspec

from llmrelay.types.errors import AuthenticationError, BadRequestError


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The authenticated caller. `key_hash` identifies a key without holding it."""

    kind: str  # "master" | "anonymous" | "virtual_key" (later)
    key_hash: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    # model groups this caller may use; None = all
    models: frozenset[str] | None = None
    # a virtual key whose user has an admin role (ADMIN_ROLES): an admin of the gateway
    proxy_admin: bool = False

    @property
    def is_admin(self) -> bool:
        """The master key, or a key of an admin user."""
        return self.kind == "master" or self.proxy_admin


# user roles whose keys are admins of the gateway (LiteLLM's proxy_admin)
ADMIN_ROLES = frozenset({"proxy_admin"})
HeaderGetter = Callable[[str], "str | None"]
# headers a client may put a key in besides Authorization: x-api-key is the Anthropic routes' key;
# the others are where provider SDKs (Azure, Gemini) put theirs
OTHER_CREDENTIAL_HEADERS = ("x-api-key", "api-key", "x-goog-api-key")

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


class HeaderMap(Protocol):
    """What the ambiguity check reads of a request's headers (Granian's RSGI headers mapping)."""

    def get_all(self, name: str) -> list[str]: ...
    def __contains__(self, name: object) -> bool: ...


def refuse_ambiguous_credentials(headers: HeaderMap) -> None:
    """400 when a request carries more than one credential that differ: two Authorization headers, or
    an Authorization key beside a different x-api-key / api-key / x-goog-api-key. Taking the first
    would be a silent guess at which key the client meant (and a front proxy may have checked the
    other). On every authenticated request, so the common case (one credential header) costs one
    read and a presence test per other header, straight on the mapping."""
    authorization = headers.get_all("authorization")
    if len(authorization) > 1:
        raise _ambiguous("more than one Authorization header", "authorization")
    if "x-api-key" not in headers and "api-key" not in headers and "x-goog-api-key" not in headers:
        return  # (OTHER_CREDENTIAL_HEADERS, spelled out: no loop on the common path)
    others = [name for name in OTHER_CREDENTIAL_HEADERS if name in headers]
    seen: str | None = None
    for value in authorization:
        scheme, _, token = value.partition(" ")
        seen = (token if scheme.lower() == "bearer" else value).strip() or None
    for name in others:
        for value in headers.get_all(name):
            given = value.strip()
            if not given:
                continue
            if seen is not None and given != seen:
                raise _ambiguous(f"{name} carries a different key than an earlier credential header", name)
            seen = given


def _ambiguous(what: str, header: str) -> BadRequestError:
    return BadRequestError(
        f"ambiguous credentials: {what}; send one key, in Authorization: Bearer (or x-api-key)",
        param=header,
        code="ambiguous_credentials",
    )


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
