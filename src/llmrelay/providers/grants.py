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
