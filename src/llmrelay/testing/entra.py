"""A Microsoft Entra ID token endpoint for the Azure side of the OpenAI simulator: the OAuth2
client-credentials grant (`POST /{tenant}/oauth2/v2.0/token`, form-encoded) with a client secret, or
with a client assertion (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`:
workload identity's federated token, accepted when registered for the app), with Entra's error
answers (`{"error", "error_description"}`), issuing bearer tokens the Azure routes then accept.
`issue()` mints one for the other simulated issuers (managed identity: testing/azure_identity.py)."""

from __future__ import annotations

import secrets
import threading
import time
from urllib.parse import parse_qs

from aiohttp import web

TOKEN_PATH = "/{tenant}/oauth2/v2.0/token"
SCOPE = "https://cognitiveservices.azure.com/.default"
JWT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class EntraTokenIssuer:
    def __init__(self, token_lifetime: int = 3599) -> None:
        self.token_lifetime = token_lifetime
        self._lock = threading.Lock()
        self._apps: dict[tuple[str, str], str] = {}  # (tenant, client id) → secret
        self._federated: dict[tuple[str, str], str] = {}  # (tenant, client id) → federated token
        self._tokens: dict[str, float] = {}  # issued token → monotonic expiry
        self.tokens_issued = 0

    def register_app(self, tenant_id: str, client_id: str, client_secret: str) -> None:
        with self._lock:
            self._apps[(tenant_id, client_id)] = client_secret

    def register_federated(self, tenant_id: str, client_id: str, assertion: str) -> None:
        """Accept `assertion` (a workload's federated token) as this app's client assertion."""
        with self._lock:
            self._federated[(tenant_id, client_id)] = assertion

    def issue(self, lifetime: int | None = None) -> str:
        """A new access token the Azure routes accept for `lifetime` seconds."""
        token = "eyJ0eXAi.sim-entra." + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + (lifetime or self.token_lifetime)
            self.tokens_issued += 1
        return token

    def revoke_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def token_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def add_to(self, app: web.Application) -> None:
        app.router.add_post(TOKEN_PATH, self._token_endpoint)

    async def _token_endpoint(self, request: web.Request) -> web.Response:
        form = {k: v[0] for k, v in parse_qs((await request.read()).decode()).items() if v}
        tenant = request.match_info["tenant"]
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported_grant_type", "AADSTS70003: the grant type is not supported.")
        if form.get("scope") != SCOPE:
            return _error(
                400, "invalid_scope", f"AADSTS70011: The provided scope is not valid: {SCOPE} expected."
            )
        if "client_assertion" in form:
            return self._assertion_grant(tenant, form)
        with self._lock:
            secret = self._apps.get((tenant, form.get("client_id", "")))
        if secret is None:
            return _error(
                400, "unauthorized_client",
                f"AADSTS700016: Application with identifier '{form.get('client_id', '')}' was not found in "
                f"the directory '{tenant}'.",
            )  # fmt: skip
        if not secrets.compare_digest(secret, form.get("client_secret", "")):
            return _error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        return self._token_answer()

    def _assertion_grant(self, tenant: str, form: dict[str, str]) -> web.Response:
        if form.get("client_assertion_type") != JWT_ASSERTION:
            return _error(400, "invalid_request", "AADSTS50027: Invalid client_assertion_type.")
        with self._lock:
            expected = self._federated.get((tenant, form.get("client_id", "")))
        if expected is None or not secrets.compare_digest(expected, form["client_assertion"]):
            return _error(
                401, "invalid_client",
                "AADSTS700213: No matching federated identity record found for presented assertion.",
            )  # fmt: skip
        return self._token_answer()

    def _token_answer(self) -> web.Response:
        token = self.issue()
        return web.json_response(
            {"token_type": "Bearer", "expires_in": self.token_lifetime, "ext_expires_in": self.token_lifetime,
             "access_token": token}
        )  # fmt: skip


def _error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)
