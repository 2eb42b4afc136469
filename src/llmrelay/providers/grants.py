"""Credentials fetched before a call: the sans-IO half of an OAuth2 token grant.

Some providers take no static key but a short-lived access token minted from a longer-lived secret
(Google's service-account JWT grant for Vertex AI; Microsoft Entra ID's client-credentials grant for
Azure could be the next). An adapter describes the exchange as a `TokenGrant` — build the token
request, read the token response — and returns it from `Provider.token_grant(deployment)`. The engine
(llmrelay.core.credentials) sends the request over its own transport, caches the token per
`cache_key` until shortly before it expires, shares one refresh among concurrent calls, and hands the
token to `Provider.authorize` for each request. Nothing here touches the network.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from llmrelay.types.errors import AuthenticationError, error_class_for_status
from llmrelay.types.http import HttpRequest, HttpResponse


class AccessToken(msgspec.Struct, frozen=True, kw_only=True):
    """A bearer token and how long it lives from the moment it was issued (None: not said)."""

    token: str
    expires_in: float | None = None

    def __repr__(self) -> str:
        # the token is a credential: never print it
        return f"AccessToken(expires_in={self.expires_in!r})"


class TokenGrant(Protocol):
    """One credential's token exchange.

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
