"""Each check of the sign-in on its own: the ID token (issuer, audience, azp, expiry, algorithm,
nonce, subject) with real RSA keys from a JWKS server; PKCE and nonce mismatches against the real
OpenID Provider; the discovery document; the signed sign-in cookie."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, str(Path(__file__).parents[1] / "auth"))

from jwt_helpers import ISSUER, JwksServer, SigningKey
from sso_helpers import OpenIdProvider, browser_like, walk_to_callback

from llmrelay.auth.jwks import JwksKeys
from llmrelay.auth.sso_client import LoginRequest, OidcClient, SsoError
from llmrelay.auth.sso_cookies import LoginCookies, cookie_value
from llmrelay.auth.sso_discovery import ProviderMetadata, discover, metadata_from
from llmrelay.auth.sso_settings import SsoSettings
from llmrelay.transport.http import HttpTransport

CLIENT = "dashboard-client"
NONCE = "the-nonce-of-this-sign-in"


def settings(issuer: str = ISSUER, redirect_uri: str = "https://gw.test/sso/callback") -> SsoSettings:
    return SsoSettings(
        provider="generic", client_id=CLIENT, client_secret="s" * 20, issuer=issuer, redirect_uri=redirect_uri
    )


@pytest.fixture
def signing_key() -> SigningKey:
    return SigningKey("rsa", "k1")


@pytest.fixture
def jwks(signing_key: SigningKey) -> Iterator[JwksServer]:
    with JwksServer([signing_key]).running() as server:
        yield server


@pytest.fixture
async def client(jwks: JwksServer) -> AsyncIterator[OidcClient]:
    keys = JwksKeys([jwks.url], ttl=60)
    await keys.start()
    metadata = ProviderMetadata(
        issuer=ISSUER, authorization_endpoint="https://idp.test/auth", token_endpoint="https://idp.test/token",
        jwks_uri=jwks.url,
    )  # fmt: skip
    try:
        yield OidcClient(settings(), metadata, keys, HttpTransport(pool_size=2))
    finally:
        await keys.stop()


async def test_a_good_id_token_verifies(client: OidcClient, signing_key: SigningKey) -> None:
    claims = await client.verify_id_token(signing_key.token(aud=CLIENT, sub="alice", nonce=NONCE), NONCE)
    assert claims["sub"] == "alice"


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "https://another-idp.test"},
        {"aud": "another-client"},
        {"aud": [CLIENT, "another-client"]},  # several audiences, no azp naming this client
        {"aud": [CLIENT, "another-client"], "azp": "another-client"},
        {"exp": int(time.time()) - 120, "iat": int(time.time()) - 600},  # expired (past the leeway)
        {"nonce": "another-sign-in"},
        {"nonce": None},
        {"sub": None},
    ],
    ids=["issuer", "audience", "several-audiences", "azp", "expired", "nonce", "no-nonce", "no-subject"],
)
async def test_a_wrong_id_token_is_refused(
    client: OidcClient, signing_key: SigningKey, change: dict[str, object]
) -> None:
    claims = {"aud": CLIENT, "sub": "alice", "nonce": NONCE, **change}
    # a claim changed to None is left out
    token = signing_key.token(**{name: value for name, value in claims.items() if value is not None})
    with pytest.raises(SsoError):
        await client.verify_id_token(token, NONCE)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _forged(header: dict[str, object], payload: dict[str, object], secret: bytes | None) -> str:
    """A token signed by hand: HMAC-SHA256 under `secret`, or no signature at all."""
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(payload).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return signing_input + "." + _b64(signature)


async def test_algorithm_confusion_and_none_are_refused(client: OidcClient, signing_key: SigningKey) -> None:
    payload = {"iss": ISSUER, "aud": CLIENT, "sub": "alice", "nonce": NONCE, "exp": int(time.time()) + 300}
    with pytest.raises(SsoError):
        await client.verify_id_token(_forged({"alg": "none", "kid": signing_key.kid}, payload, None), NONCE)
    # HS256 keyed with the provider's public key (which anyone can read): the classic confusion
    public_pem = signing_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused = _forged({"alg": "HS256", "kid": signing_key.kid, "typ": "JWT"}, payload, public_pem)
    with pytest.raises(SsoError):
        await client.verify_id_token(confused, NONCE)
    # signed by a key the provider does not publish, under the provider's key id
    stranger = SigningKey("rsa", signing_key.kid).token(aud=CLIENT, sub="alice", nonce=NONCE)
    with pytest.raises(SsoError):
        await client.verify_id_token(stranger, NONCE)


# --- against the real OpenID Provider ---------------------------------------------------------


@pytest.fixture
async def real_client(provider: OpenIdProvider, gateway_port: int) -> AsyncIterator[OidcClient]:
    from sso_helpers import CLIENT_ID, CLIENT_SECRET

    config = SsoSettings(
        provider="generic",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        issuer=provider.issuer,
        redirect_uri=f"http://127.0.0.1:{gateway_port}/sso/callback",
    )
    transport = HttpTransport(pool_size=4)
    metadata = await discover(config, transport)
    keys = JwksKeys([metadata.jwks_uri], ttl=60, transport=transport)
    await keys.start()
    await provider.set_account("carol", "carol@example.com")
    try:
        yield OidcClient(config, metadata, keys, transport)
    finally:
        await keys.stop()


async def code_for(client: OidcClient, login: LoginRequest, gateway_port: int) -> str:
    async with browser_like() as http:
        callback = await walk_to_callback(
            http, client.authorization_url(login), f"http://127.0.0.1:{gateway_port}"
        )
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == [login.state]
    return query["code"][0]


async def test_the_real_provider_signs_in_and_userinfo_completes_the_claims(
    real_client: OidcClient, gateway_port: int
) -> None:
    login = LoginRequest.new()
    claims = await real_client.finish(await code_for(real_client, login, gateway_port), login)
    # the ID token has only `sub` (the provider's default); the email came from userinfo
    assert (claims["sub"], claims["email"], claims["preferred_username"]) == (
        "carol",
        "carol@example.com",
        "carol",
    )


async def test_a_pkce_verifier_that_does_not_match_is_refused_by_the_provider(
    real_client: OidcClient, gateway_port: int
) -> None:
    login = LoginRequest.new()
    code = await code_for(real_client, login, gateway_port)
    wrong = LoginRequest(state=login.state, nonce=login.nonce, verifier=LoginRequest.new().verifier)
    with pytest.raises(SsoError, match="invalid_grant"):
        await real_client.finish(code, wrong)


async def test_a_nonce_that_does_not_match_is_refused(real_client: OidcClient, gateway_port: int) -> None:
    login = LoginRequest.new()
    code = await code_for(real_client, login, gateway_port)
    other = LoginRequest(state=login.state, nonce="another-sign-ins-nonce", verifier=login.verifier)
    with pytest.raises(SsoError, match="nonce"):
        await real_client.finish(code, other)


# --- discovery and the sign-in cookie ----------------------------------------------------------


def test_discovery_checks_issuer_pkce_and_endpoints() -> None:
    good = {
        "issuer": ISSUER,
        "authorization_endpoint": "https://idp.test/auth",
        "token_endpoint": "https://idp.test/token",
        "jwks_uri": "https://idp.test/jwks",
        "code_challenge_methods_supported": ["S256"],
    }
    assert metadata_from(json.dumps(good).encode(), settings()).userinfo_endpoint is None
    for bad, reason in (
        ({"issuer": "https://evil.test"}, "issuer"),
        ({"code_challenge_methods_supported": ["plain"]}, "S256"),
        ({"token_endpoint": "http://idp.test/token"}, "https"),
        ({"jwks_uri": None}, "jwks_uri"),
    ):
        with pytest.raises(ValueError, match=reason):
            metadata_from(json.dumps(good | bad).encode(), settings())
    with pytest.raises(ValueError, match="larger"):
        metadata_from(b" " * 70_000, settings())
    # an endpoint named in the environment replaces the discovered one
    given = dataclasses.replace(settings(), token_endpoint="https://idp.test/other-token")
    assert metadata_from(json.dumps(good).encode(), given).token_endpoint == "https://idp.test/other-token"


def test_the_sign_in_cookie_is_signed_bound_to_the_master_key_and_expires() -> None:
    cookies = LoginCookies("sk-master-key")
    login = LoginRequest.new()
    now = time.time()
    sealed = cookies.seal(login, now)
    assert cookies.open(sealed, now) == login
    payload, mac = sealed.split(".")
    assert cookies.open(payload + "." + mac[:-2] + "AA", now) is None
    assert cookies.open(payload[:-1] + "x." + mac, now) is None
    assert LoginCookies("sk-another-master").open(sealed, now) is None
    assert cookies.open(sealed, now + 601) is None
    for junk in ("", "a", "a.b.c", "." * 2000, "%%%.%%%"):
        assert cookies.open(junk, now) is None


def test_cookie_header_reading() -> None:
    header = "other=1; llmrelay_session=abc; llmrelay_session=second"
    assert cookie_value(header, "llmrelay_session") == "abc"
    assert cookie_value(header, "missing") is None
    assert cookie_value("x" * 9000 + "; llmrelay_session=abc", "llmrelay_session") is None
