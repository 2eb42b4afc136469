"""A simulator of Snowflake's Cortex REST API chat endpoint (docs.snowflake.com, "Cortex REST API"):
`POST /api/v2/cortex/v1/chat/completions`, OpenAI's chat wire (the OpenAI simulator's chat answers),
behind Snowflake's authentication: `Authorization: Bearer <token>` and
`X-Snowflake-Authorization-Token-Type` (`KEYPAIR_JWT`, `PROGRAMMATIC_ACCESS_TOKEN` or `OAUTH`), the
token one it accepts. Errors are Snowflake's `{"code", "message", "request_id"}`.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from llmrelay.testing.base import Call, Handler, ProviderError, ProviderSimulator
from llmrelay.testing.openai_sim import OpenAISimulator

TOKEN_TYPES = frozenset({"KEYPAIR_JWT", "PROGRAMMATIC_ACCESS_TOKEN", "OAUTH"})
_CODES = {400: "390142", 401: "390144", 403: "390186", 404: "390404", 429: "390429", 500: "390500"}


class SnowflakeSimulator(OpenAISimulator):
    kind = "snowflake"
    api_base_path = "/api/v2"

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("POST", "/api/v2/cortex/v1/chat/completions", self.chat)]

    def add_to(self, app: web.Application) -> None:
        # Snowflake's routes only: not the Entra ID token endpoint the OpenAI simulator adds for Azure
        ProviderSimulator.add_to(self, app)

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {"code": _CODES.get(status, "390000"), "message": message, "request_id": secrets.token_hex(8)}

    def check_auth(self, call: Call) -> ProviderError | None:
        kind = call.headers.get("x-snowflake-authorization-token-type")
        if kind not in TOKEN_TYPES:
            return ProviderError(401, "Unsupported Authorization Type specified.")
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.key_accepted(token.strip()):
            return ProviderError(401, "Invalid OAuth access token or JWT token.")
        return None
