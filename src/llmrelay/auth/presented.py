"""What a request presents to be let in, and the seam that checks it: `Authenticator`,
`authenticate(header, anthropic_dialect=) -> Principal`, which the gateway calls on every request.

Here (not in the server) because both sides of the seam use it: the server's routes call an
Authenticator, and the authenticators (master key here in auth/master.py, virtual keys in
auth/authenticator.py) read the presented key with `presented_key`. Nothing here needs the database,
so a master-key-only gateway imports it without the `db` extra."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from llmrelay.calls.principal import Principal
from llmrelay.types.errors import BadRequestError

HeaderGetter = Callable[[str], "str | None"]
# headers a client may put a key in besides Authorization: x-api-key is the Anthropic routes' key;
# the others are where provider SDKs (Azure, Gemini) put theirs
OTHER_CREDENTIAL_HEADERS = ("x-api-key", "api-key", "x-goog-api-key")


class CredentialPending(Exception):
    """Raised by an authenticator that cannot answer from memory: a JWT whose signing key rotated in
    and must be fetched first, or whose team's rows are not read yet. The gateway awaits `resolve()`
    for the Principal (or its AuthenticationError). Raised rather than returned so the common,
    in-memory case costs the request path nothing."""

    def __init__(self, resolve: Callable[[], Awaitable[Principal]]) -> None:
        super().__init__("credential pending")
        self.resolve = resolve


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
