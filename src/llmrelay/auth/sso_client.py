"""The relying party's half of OpenID Connect's authorization code flow, with PKCE (RFC 7636, S256),
`state` and `nonce`:

1. `begin()`: three fresh random values — the state (ties the provider's answer to this browser's
   sign-in), the nonce (ties the ID token to it) and the PKCE verifier (only its SHA-256, the
   challenge, goes to the provider) — and the authorization URL to send the browser to;
2. `finish(code, login)`: the code is exchanged at the token endpoint with the verifier and the
   client's credentials, the ID token verified — signature by the provider's published keys
   (auth/jwks.py) with an algorithm the key allows (auth/jwt_tokens.py: no `none`, no HS/RS
   confusion), `iss`, `aud` (and `azp` when there are several audiences), `exp`, the nonce — and
   the user's claims completed from the userinfo endpoint (whose `sub` must be the token's).

Every failure is an `SsoError` whose message names the step, never a code, token or secret."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from llmrelay.auth.jwks import JwksKeys
from llmrelay.auth.jwt_tokens import TokenVerifier, UnknownKeyId
from llmrelay.auth.sso_discovery import ProviderMetadata
from llmrelay.auth.sso_settings import SsoSettings
from llmrelay.transport.http import HttpTransport
from llmrelay.types.errors import AuthenticationError, LLMError
from llmrelay.types.http import HttpRequest

log = logging.getLogger("llmrelay.auth")

MAX_ANSWER_BYTES = 256 * 1024
EXCHANGE_TIMEOUT = 10.0
REFETCH_WAIT = 5.0


class SsoError(AuthenticationError):
    """A sign-in that cannot complete; the message says which step, for the person signing in."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="sso_failed")


@dataclass(frozen=True, slots=True)
class LoginRequest:
    """What one sign-in keeps between sending the browser away and its return (never sent to the
    provider except the state, the nonce and the verifier's challenge)."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> LoginRequest:
        return cls(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(48),
        )

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    def __init__(
        self, settings: SsoSettings, metadata: ProviderMetadata, keys: JwksKeys, transport: HttpTransport
    ) -> None:
        self.settings = settings
        self.metadata = metadata
        self.keys = keys
        self._transport = transport
        self._verifier = TokenVerifier(keys, audience=settings.client_id, issuer=metadata.issuer)

    def authorization_url(self, login: LoginRequest) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": self.settings.redirect_uri,
                "scope": self.settings.scope,
                "state": login.state,
                "nonce": login.nonce,
                "code_challenge": login.challenge,
                "code_challenge_method": "S256",
            }
        )
        endpoint = self.metadata.authorization_endpoint
        return endpoint + ("&" if "?" in endpoint else "?") + query

    async def finish(self, code: str, login: LoginRequest) -> dict[str, Any]:
        """The signed-in user's claims: the verified ID token's, completed by userinfo."""
        tokens = await self._exchange(code, login)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SsoError("the identity provider's token answer has no ID token")
        claims = await self.verify_id_token(id_token, login.nonce)
        access_token = tokens.get("access_token")
        if self.metadata.userinfo_endpoint is not None and isinstance(access_token, str):
            info = await self._userinfo(access_token)
            if info.get("sub") != claims.get("sub"):
                raise SsoError("the identity provider's userinfo is for another subject than the ID token")
            claims = {**info, **claims}  # the signed token's claims win
        return claims

    async def verify_id_token(self, token: str, nonce: str) -> dict[str, Any]:
        try:
            try:
                claims = self._verifier.verify(token)
            except UnknownKeyId:
                # the provider rotated its keys: one rate-limited refetch, then the token once more
                refetch = self.keys.refetch_for_unknown_kid()
                if refetch is not None:
                    await asyncio.wait_for(asyncio.shield(refetch), REFETCH_WAIT)
                claims = self._verifier.verify(token)
        except (AuthenticationError, UnknownKeyId, TimeoutError):
            raise SsoError("the identity provider's ID token did not verify") from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise SsoError("the identity provider's ID token has no subject")
        audiences = claims.get("aud")
        if (
            isinstance(audiences, list)
            and len(audiences) > 1
            and claims.get("azp") != self.settings.client_id
        ):
            raise SsoError("the identity provider's ID token was issued to another client (azp)")
        given = claims.get("nonce")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), nonce.encode()):
            raise SsoError("the ID token's nonce is not this sign-in's")
        return claims

    async def _exchange(self, code: str, login: LoginRequest) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": login.verifier,
        }
        # client_secret_basic (RFC 6749 §2.3.1: each part form-encoded first)
        credentials = (
            f"{quote(self.settings.client_id, safe='')}:{quote(self.settings.client_secret, safe='')}"
        )
        basic = base64.b64encode(credentials.encode()).decode("ascii")
        request = HttpRequest(
            url=self.metadata.token_endpoint,
            method="POST",
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "accept": "application/json",
                "authorization": f"Basic {basic}",
            },
            body=urlencode(form).encode(),
        )
        answer = await self._json(request, "token endpoint")
        return answer

    async def _userinfo(self, access_token: str) -> dict[str, Any]:
        assert self.metadata.userinfo_endpoint is not None
        request = HttpRequest(
            url=self.metadata.userinfo_endpoint,
            method="GET",
            headers={"authorization": f"Bearer {access_token}", "accept": "application/json"},
        )
        return await self._json(request, "userinfo endpoint")

    async def _json(self, request: HttpRequest, what: str) -> dict[str, Any]:
        try:
            response = await self._transport.send(request, timeout=EXCHANGE_TIMEOUT)
        except LLMError as exc:
            log.warning("SSO: the identity provider's %s could not be reached (%s)", what, type(exc).__name__)
            raise SsoError(f"the identity provider's {what} could not be reached") from None
        if response.status != 200:
            # the provider's error code only (e.g. invalid_grant for a code used twice): never the body
            reason = _error_code(response.body)
            log.info("SSO: the identity provider's %s answered HTTP %d (%s)", what, response.status, reason)
            raise SsoError(f"the identity provider's {what} refused the sign-in ({reason})")
        if len(response.body) > MAX_ANSWER_BYTES:
            raise SsoError(f"the identity provider's {what} answer is too large")
        try:
            document = json.loads(response.body)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise SsoError(f"the identity provider's {what} answer is not a JSON object")
        return document


def _error_code(body: bytes) -> str:
    try:
        document = json.loads(body[:4096])
    except ValueError:
        return "no error code"
    code = document.get("error") if isinstance(document, dict) else None
    if isinstance(code, str) and code.replace("_", "").isalnum() and len(code) <= 64:
        return code
    return "no error code"
