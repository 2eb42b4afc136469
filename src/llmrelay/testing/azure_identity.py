"""Azure's managed identity endpoints, simulated over their wire formats, issuing tokens through the
OpenAI simulator's Entra issuer (`EntraTokenIssuer.issue`), so its Azure routes accept them:

- the instance metadata service (`GET /metadata/identity/oauth2/token?api-version=2018-02-01&
  resource=...[&client_id=...]`, only with `Metadata: true`): the system-assigned identity, or a
  user-assigned one by client id; answers IMDS's strings (`"expires_in": "3599"`, `"expires_on"`
  Unix seconds) and its errors (`{"error", "error_description"}`, 400 for an unknown identity);
- the App Service / Container Apps endpoint (`GET /msi/token?api-version=2019-08-01&resource=...`,
  with the `X-IDENTITY-HEADER` secret): `{"access_token", "expires_on", "resource", "token_type",
  "client_id"}`; errors as `{"statusCode", "message"}`.

Workload identity's token endpoint is the Entra issuer's own client-assertion grant (entra.py).
Served with llmrelay.testing.serve_app.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web

from llmrelay.testing.entra import EntraTokenIssuer

IMDS_PATH = "/metadata/identity/oauth2/token"
APP_SERVICE_PATH = "/msi/token"
RESOURCE = "https://cognitiveservices.azure.com"
SYSTEM_CLIENT_ID = "00000000-5y5t-3m00-0000-000000000000"


@dataclass
class AzureIdentitySimulator:
    """`system_assigned`: the machine has a system-assigned identity; `user_assigned`: client ids of
    its user-assigned identities; `identity_header`: App Service's per-instance secret."""

    entra: EntraTokenIssuer
    system_assigned: bool = True
    user_assigned: set[str] = field(default_factory=set)
    identity_header: str = field(default_factory=lambda: secrets.token_hex(16))
    lifetime: int = 3599
    issued: list[str] = field(default_factory=list)  # "imds:<client id>" / "app_service:<client id>"
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(IMDS_PATH, self._imds)
        app.router.add_get(APP_SERVICE_PATH, self._app_service)

    def _identity(self, client_id: str | None) -> str | None:
        if client_id:
            return client_id if client_id in self.user_assigned else None
        return SYSTEM_CLIENT_ID if self.system_assigned else None

    def _token(self, source: str, client_id: str) -> tuple[str, int]:
        with self._lock:
            self.issued.append(f"{source}:{client_id}")
        return self.entra.issue(self.lifetime), int(time.time()) + self.lifetime

    async def _imds(self, request: web.Request) -> web.Response:
        query = request.query
        if request.headers.get("Metadata") != "true":
            return _imds_error(400, "invalid_request", "Required metadata header not specified")
        if query.get("api-version") != "2018-02-01":
            return _imds_error(400, "invalid_request", "Required query variable 'api-version' is missing")
        if query.get("resource") != RESOURCE:
            return _imds_error(400, "invalid_resource", "AADSTS500011: The resource principal was not found")
        client = self._identity(query.get("client_id"))
        if client is None:
            return _imds_error(400, "invalid_request", "Identity not found")
        token, expires_on = self._token("imds", client)
        return web.json_response({
            "access_token": token, "refresh_token": "", "expires_in": str(self.lifetime),
            "expires_on": str(expires_on), "not_before": str(expires_on - self.lifetime),
            "resource": RESOURCE, "token_type": "Bearer",
        })  # fmt: skip

    async def _app_service(self, request: web.Request) -> web.Response:
        query = request.query
        if not secrets.compare_digest(request.headers.get("X-IDENTITY-HEADER", ""), self.identity_header):
            return web.json_response({"statusCode": 401, "message": "Unauthorized"}, status=401)
        if query.get("api-version") != "2019-08-01" or query.get("resource") != RESOURCE:
            return web.json_response({"statusCode": 400, "message": "Bad request"}, status=400)
        client = self._identity(query.get("client_id"))
        if client is None:
            return web.json_response(
                {"statusCode": 400, "message": "No managed identity found for the specified client id"},
                status=400,
            )
        token, expires_on = self._token("app_service", client)
        return web.json_response({"access_token": token, "expires_on": str(expires_on), "resource": RESOURCE,
                                  "token_type": "Bearer", "client_id": client})  # fmt: skip


def _imds_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)
