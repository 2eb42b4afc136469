"""Google's identity endpoints, simulated over their wire formats, issuing access tokens that the
Vertex AI simulator then accepts (`accept(token, lifetime)`, e.g. `VertexSimulator.accept_token`):

- the metadata server (`GET /computeMetadata/v1/instance/service-accounts/default/token`): only with
  `Metadata-Flavor: Google` (else 403), answering `{"access_token", "expires_in", "token_type"}` with
  the `Metadata-Flavor: Google` header;
- the Security Token Service (`POST /v1/token`, RFC 8693 token exchange, form-encoded): a subject token
  it knows, for the audience it was issued for, of the right `subject_token_type`; a client's HTTP
  Basic credentials when registered; errors as OAuth's `{"error", "error_description"}`;
- IAM Credentials (`POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken`): a bearer token
  this simulator issued, for an account it lets be impersonated; `{"scope": [...], "lifetime": "Ns"}`
  answered `{"accessToken", "expireTime"}`; errors as google.rpc.Status;
- the OAuth2 token endpoint's refresh grant (`POST /token`, `grant_type=refresh_token`), for gcloud's
  authorized-user credentials;
- a subject token URL (`GET /subject-token`, JSON `{"token": ...}` when its headers match), as an
  identity provider's endpoint a url-sourced credential reads.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from aiohttp import web

METADATA_TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"
STS_PATH = "/v1/token"
IAM_PATH = "/v1/projects/-/serviceAccounts/{account}"
REFRESH_PATH = "/token"
SUBJECT_PATH = "/subject-token"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


@dataclass
class GoogleIdentitySimulator:
    """`accept(token, lifetime)` is told of each access token issued. `subject_tokens`: subject token
    → the audience (workload identity pool provider) it may be exchanged for. `clients`: STS client
    id → secret (when any is registered, STS asks for one). `impersonable`: service accounts
    generateAccessToken issues for. `refresh_tokens`: (client_id, client_secret, refresh_token)
    triples the refresh grant takes. `lifetime`: seconds issued tokens live."""

    accept: Callable[[str, int], None]
    subject_tokens: dict[str, str] = field(default_factory=dict)
    subject_token_type: str = "urn:ietf:params:oauth:token-type:jwt"
    clients: dict[str, str] = field(default_factory=dict)
    impersonable: set[str] = field(default_factory=set)
    refresh_tokens: set[tuple[str, str, str]] = field(default_factory=set)
    subject_url_headers: dict[str, str] = field(default_factory=dict)
    lifetime: int = 3600
    metadata_flavor: bool = True  # False: a metadata impostor, answering without the header
    issued: list[str] = field(default_factory=list)  # the source of each issue, in order
    seen: list[dict[str, str]] = field(default_factory=list)  # STS and IAM requests (no tokens)
    _own_tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(METADATA_TOKEN_PATH, self._metadata)
        app.router.add_post(STS_PATH, self._sts)
        app.router.add_post(IAM_PATH, self._generate_access_token)
        app.router.add_post(REFRESH_PATH, self._refresh)
        app.router.add_get(SUBJECT_PATH, self._subject)

    def _issue(self, source: str, lifetime: int | None = None) -> str:
        token = "ya29.sim-" + source + "-" + secrets.token_urlsafe(18)
        with self._lock:
            self.issued.append(source)
            self._own_tokens.add(token)
        self.accept(token, lifetime or self.lifetime)
        return token

    # ---- metadata server
    async def _metadata(self, request: web.Request) -> web.Response:
        if request.headers.get("Metadata-Flavor") != "Google":
            return web.Response(status=403, text="Missing Metadata-Flavor:Google header.")
        if SCOPE not in request.query.get("scopes", SCOPE).split(","):
            return web.Response(status=400, text="scopes must include cloud-platform")
        body = {"access_token": self._issue("metadata"), "expires_in": self.lifetime, "token_type": "Bearer"}
        headers = {"Metadata-Flavor": "Google"} if self.metadata_flavor else {}
        return web.json_response(body, headers=headers)

    # ---- STS
    async def _sts(self, request: web.Request) -> web.Response:
        form = _form(await request.read())
        self.seen.append({k: v for k, v in form.items() if k != "subject_token"})
        if self.clients:
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            try:
                client, _, secret = base64.b64decode(value).decode().partition(":")
            except ValueError:
                client, secret = "", ""
            if scheme != "Basic" or not secrets.compare_digest(self.clients.get(client, "\0"), secret):
                return _oauth_error(401, "invalid_client", "The client authentication failed.")
        if form.get("grant_type") != TOKEN_EXCHANGE:
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type.")
        if form.get("requested_token_type") != ACCESS_TOKEN_TYPE:
            return _oauth_error(400, "invalid_request", "Invalid requested_token_type.")
        if form.get("subject_token_type") != self.subject_token_type:
            return _oauth_error(400, "invalid_request", "Invalid subject_token_type.")
        audience = self.subject_tokens.get(form.get("subject_token", ""))
        if audience is None:
            return _oauth_error(400, "invalid_grant", "The provided subject token is invalid or expired.")
        if audience != form.get("audience"):
            return _oauth_error(400, "invalid_target", "The audience is not a pool this token is for.")
        token = self._issue("sts")
        return web.json_response({"access_token": token, "issued_token_type": ACCESS_TOKEN_TYPE,
                                  "token_type": "Bearer", "expires_in": self.lifetime})  # fmt: skip

    # ---- IAM Credentials
    async def _generate_access_token(self, request: web.Request) -> web.Response:
        account, _, method = request.match_info["account"].partition(":")
        if method != "generateAccessToken":
            return _rpc_error(404, "NOT_FOUND", "Method not found.")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            known = token in self._own_tokens
        if scheme != "Bearer" or not known:
            return _rpc_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if account not in self.impersonable:
            return _rpc_error(
                403, "PERMISSION_DENIED",
                "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
            )  # fmt: skip
        try:
            body = json.loads(await request.read())
            lifetime = int(str(body.get("lifetime", "3600s")).removesuffix("s"))
            scopes = body["scope"]
        except (ValueError, KeyError, TypeError, AttributeError):
            return _rpc_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        if SCOPE not in scopes:
            return _rpc_error(400, "INVALID_ARGUMENT", "Scope must include cloud-platform.")
        self.seen.append({"account": account, "lifetime": str(lifetime)})
        lifetime = min(lifetime, self.lifetime)
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lifetime)
        issued = self._issue("impersonation", lifetime)
        return web.json_response({"accessToken": issued, "expireTime": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")})

    # ---- OAuth2 refresh grant (authorized users)
    async def _refresh(self, request: web.Request) -> web.Response:
        form = _form(await request.read())
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type.")
        triple = (form.get("client_id", ""), form.get("client_secret", ""), form.get("refresh_token", ""))
        if triple not in self.refresh_tokens:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        token = self._issue("refresh")
        return web.json_response({"access_token": token, "expires_in": self.lifetime, "token_type": "Bearer",
                                  "scope": SCOPE})  # fmt: skip

    # ---- an identity provider's subject token URL
    async def _subject(self, request: web.Request) -> web.Response:
        for name, value in self.subject_url_headers.items():
            if request.headers.get(name) != value:
                return web.Response(status=401, text="missing header")
        token = next(iter(self.subject_tokens), "")
        return web.json_response({"token": token})


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def _rpc_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": status, "message": message, "status": code}}, status=status)
