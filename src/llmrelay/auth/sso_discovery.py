"""The identity provider's metadata (OpenID Connect Discovery 1.0): fetched once from
`<issuer>/.well-known/openid-configuration` when the gateway starts, bounded in size, and checked —
its `issuer` must be the one configured (a document for another issuer is a misconfiguration or an
attack), its endpoints https (http only to this machine), and S256 among its PKCE methods when it
lists them."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from llmrelay.auth.sso_settings import SsoSettings, checked_url
from llmrelay.transport.http import HttpTransport
from llmrelay.types.http import HttpRequest

MAX_DOCUMENT_BYTES = 64 * 1024
FETCH_TIMEOUT = 5.0


class ProviderMetadata(msgspec.Struct, frozen=True, kw_only=True):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None


async def discover(settings: SsoSettings, transport: HttpTransport) -> ProviderMetadata:
    """The provider's metadata, with the endpoints the settings name in place of the discovered
    ones; ValueError saying what is wrong (never a secret: the document holds none)."""
    url = settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
    request = HttpRequest(url=url, headers={"accept": "application/json"}, method="GET")
    response = await transport.send(request, timeout=FETCH_TIMEOUT)
    if response.status != 200:
        raise ValueError(f"{url} answered HTTP {response.status}")
    return metadata_from(response.body, settings)


def metadata_from(body: bytes, settings: SsoSettings) -> ProviderMetadata:
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"the discovery document is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document: Any = json.loads(body)
    except ValueError:
        raise ValueError("the discovery document is not JSON") from None
    if not isinstance(document, dict):
        raise ValueError("the discovery document is not a JSON object")
    issuer = document.get("issuer")
    if issuer != settings.issuer:
        raise ValueError(
            f"the discovery document names issuer {str(issuer)[:200]!r}, not {settings.issuer!r}"
        )
    methods = document.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise ValueError("the provider does not support PKCE with S256")

    def endpoint(name: str, given: str | None, *, required: bool = True) -> str | None:
        value = given if given is not None else document.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise ValueError(f"the discovery document has no {name}")
        return checked_url(value, name)

    authorization = endpoint("authorization_endpoint", settings.authorization_endpoint)
    token = endpoint("token_endpoint", settings.token_endpoint)
    jwks = endpoint("jwks_uri", None)
    assert authorization is not None and token is not None and jwks is not None
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=authorization,
        token_endpoint=token,
        jwks_uri=jwks,
        userinfo_endpoint=endpoint("userinfo_endpoint", settings.userinfo_endpoint, required=False),
    )
