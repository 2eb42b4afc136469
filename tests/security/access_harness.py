"""Drives the admin API handlers (llmrelay.proxy.admin) as a given principal over a real database,
through a stand-in for the gateway's Request; shared by the access tests of tests/security."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.auth import KeyAuthService
from llmrelay.calls.principal import Principal
from llmrelay.proxy.admin import AdminApi
from llmrelay.types.errors import LLMError

MASTER_KEY = "sk-master-security-tests"


class FakeScope:
    def __init__(self, query_string: str) -> None:
        self.query_string = query_string


class FakeRequest:
    def __init__(self, body: bytes, query_string: str, headers: dict[str, str]) -> None:
        self.scope = FakeScope(query_string)
        self._body = body
        self._headers = {name.lower(): value for name, value in headers.items()}
        self.status: int | None = None
        self.payload: Any = None

    async def body(self, limit: int) -> bytes:
        return self._body

    def header(self, name: str) -> str | None:
        return self._headers.get(name)

    def send_json(self, status: int, body: bytes, extra: object = None) -> None:
        self.status, self.payload = status, msgspec.json.decode(body)


class AdminClient:
    """Calls admin routes as a given principal; returns (status, json) as an HTTP client would."""

    def __init__(self, api: AdminApi, keys: KeyAuthService) -> None:
        self.handlers = {(m, p): h for m, p, h in api.routes()}
        self.keys = keys

    def principal(self, key: str) -> Principal:
        return self.keys.authenticator.authenticate(key)

    async def call(
        self,
        method: str,
        path: str,
        as_: Principal,
        body: Any = None,
        query: str = "",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        req = FakeRequest(b"" if body is None else msgspec.json.encode(body), query, headers or {})
        try:
            await self.handlers[(method, path)](req, as_)  # type: ignore[arg-type]
        except LLMError as error:
            return error.status_code, error.to_openai_body()
        assert req.status is not None
        return req.status, req.payload
