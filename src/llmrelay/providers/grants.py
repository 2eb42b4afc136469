"""Credentials fetched before a call: the sans-IO half of an OAuth2 token grant, or of a load of
local credentials.

Some providers take no static key but a short-lived access token minted from a longer-lived secret
(Google's service-account JWT grant for Vertex AI; Microsoft Entra ID's client-credentials grant for
Azure). An adapter describes the exchange as a `TokenExchange` — build the token request, read the
token response. Others read their credentials from local files that take blocking I/O to read (an
AWS profile in the shared AWS files for Bedrock): a `LocalGrant`, whose `load` the engine runs in a
worker thread, never on the event loop. Either is returned from `Provider.token_grant(deployment)`.
The engine (llmrelay.core.credentials) runs it, caches the credential per `cache_key` until shortly
before it expires, shares one refresh among concurrent calls, and hands the credential to
`Provider.authorize` for each request. Nothing here touches the network.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import msgspec

from llmrelay.types.errors import AuthenticationError, error_class_for_status
from llmrelay.types.http import HttpRequest, HttpResponse


@dataclass(frozen=True, slots=True)
class SigningKeys:
    """Keys that sign each request rather than travel with it (AWS Signature Version 4): an access
    key id, its secret, an optional session token, and the region signatures are scoped to (when
    the keys come from a grant, which knows it; else the adapter finds it on its own)."""

    access_key: str
    secret_key: str
    session_token: str | None = None
    region: str | None = None

    def __repr__(self) -> str:
        # the access key id names the keys, it does not unlock them: the rest is never printed
        token = ", session_token=set" if self.session_token else ""
        return (
            f"SigningKeys(access_key={self.access_key!r}, secret_key=hidden{token}, region={self.region!r})"
        )


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key that signs each request itself (OCI's API key, read from its file): the id the
    provider knows it by and its PEM text, never printed."""

    key_id: str
    pem: str

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r}, pem=hidden)"


# what a grant yields for `Provider.authorize`: a bearer token, keys that sign the request (AWS), or a
# private key that does (OCI)
Credential = str | SigningKeys | SigningKey


class AccessToken(msgspec.Struct, frozen=True, kw_only=True):
    """A credential and how long it lives from the moment it was issued (None: not said)."""

    token: Credential
    expires_in: float | None = None

    def __repr__(self) -> str:
        # the token is a credential: never print it
        return f"AccessToken(expires_in={self.expires_in!r})"


class TokenExchange(Protocol):
    """One credential's token exchange over HTTP.

    cache_key       names the credential in the engine's token cache; derived from the credential
                    (a digest), never the secret itself, since it may be logged
    token_request   the HTTP request that asks for a token; `now` is wall-clock Unix time (grants
                    sign assertions with issue and expiry times)
    parse_token     the token from the endpoint's answer; an error status raises the LLMError
                    it stands for (AuthenticationError for a rejected credential), without secrets
    """

    @property
    def cache_key(self) -> str: ...

    def token_request(self, now: float) -> HttpRequest: ...

    def parse_token(self, response: HttpResponse) -> AccessToken: ...


@runtime_checkable
class LocalGrant(Protocol):
    """Credentials read from the machine (files) rather than fetched.

    cache_key       as for a TokenExchange: names the credential, never holds a secret
    load            reads the credential; may block on file I/O, so the engine runs it in a worker
                    thread. Raises the LLMError a failure stands for (AuthenticationError for
                    missing or unusable credentials), without secrets
    """

    @property
    def cache_key(self) -> str: ...

    def load(self) -> AccessToken: ...


@dataclass(frozen=True, slots=True)
class Fetch:
    """A flow's HTTP step: the engine sends `request` within `timeout` seconds (a metadata endpoint
    that is not there must be given up quickly) and sends the flow the HttpResponse, or throws the
    transport's LLMError into it (so the flow may try its next source)."""

    request: HttpRequest
    timeout: float


@dataclass(frozen=True, slots=True)
class Blocking:
    """A flow's blocking step (a file read): the engine runs `run` in a worker thread and sends the
    flow its result, or throws its exception into it."""

    run: Callable[[], object]


# what a flow yields, what it is sent back, and what it ends with
FlowSteps = Generator[Fetch | Blocking, object, AccessToken]


@runtime_checkable
class CredentialFlow(Protocol):
    """Credentials that take several steps to get, each of them I/O the engine does (a chain of
    sources tried in order, an instance-metadata token before the credentials it unlocks).

    cache_key       as for a TokenExchange: names the credential, never holds a secret
    flow            a generator of steps, given the wall-clock Unix time; it returns the credential
                    or raises the LLMError a failure stands for, without secrets
    """

    @property
    def cache_key(self) -> str: ...

    def flow(self, now: float) -> FlowSteps: ...


# what `Provider.token_grant` returns: an exchange the engine sends, a load it runs off the loop, or
# a flow of such steps
TokenGrant = TokenExchange | LocalGrant | CredentialFlow


class _TokenAnswer(msgspec.Struct):
    access_token: str | None = None
    expires_in: float | None = None
    token_type: str | None = None
    error: str | None = None
    error_description: str | None = None


_answer_decoder = msgspec.json.Decoder(_TokenAnswer)


def parse_token_answer(response: HttpResponse, *, provider: str, endpoint: str) -> AccessToken:
    """An RFC 6749 token answer; an error status becomes the LLMError it stands for. `endpoint` names
    the token endpoint in messages ("the Google token endpoint"); no secret is ever quoted."""
    try:
        answer = _answer_decoder.decode(response.body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        answer = _TokenAnswer()
    if response.status >= 400:
        reason = answer.error_description or answer.error or f"HTTP {response.status}"
        # a refused grant (400 invalid_grant / invalid_client, 401) is a credentials problem
        refused = response.status in (400, 401, 403)
        cls = AuthenticationError if refused else error_class_for_status(response.status)
        verdict = "refused the credentials" if refused else "failed"
        raise cls(
            f"{endpoint} {verdict}: {reason[:300]}",
            provider=provider,
            status_code=401 if refused else response.status,
            code=answer.error,
        )
    if not answer.access_token:
        raise AuthenticationError(f"{endpoint} answered without an access_token", provider=provider)
    return AccessToken(token=answer.access_token, expires_in=answer.expires_in)
