"""A HashiCorp Vault server for tests, as much of it as reading secrets needs: the KV version 2
secrets engine's data endpoints, from Vault's HTTP API reference (no Vault server can be installed
here).

    GET    /v1/<mount>/data/<path>[?version=N]   read the latest (or Nth) version
    POST   /v1/<mount>/data/<path>               write a new version: {"data": {...}, "options": {"cas": N}}
    PUT    (the same as POST)
    DELETE /v1/<mount>/data/<path>               soft-delete the latest version (204)
    POST   /v1/auth/<approle mount>/login        AppRole sign-in: {"role_id", "secret_id"} → auth.client_token

As Vault: every request needs `X-Vault-Token` (403 `{"errors": ["permission denied"]}` without a
known one); `X-Vault-Namespace` selects the namespace (Vault Enterprise), whose secrets are apart
from the root's; a missing or deleted secret is a 404 `{"errors": []}` (a deleted one with its
metadata); an unknown mount is a 404 naming the route; a read answers the envelope Vault does
(`request_id`, `lease_*`, `data: {data, metadata}`, `mount_type: "kv"`...).

AppRole: `approles` (role id → secret id) are the roles accepted at `/v1/auth/approle/login` (400
`invalid role or secret ID` otherwise); each sign-in issues a new token valid for `lease_seconds`
(Vault's `lease_duration`), after which requests with it are refused 403 as Vault refuses an expired
token; `logins` counts the sign-ins.

Faults: `fail_next(status, errors)` answers the next requests with that status and `errors` list
(to test that a client never prints what a server's error echoes).

    with VaultSimulator(token="hvs.test") as vault:     # vault.base_url
        vault.put("litellm/OPENAI_API_KEY", {"key": "sk-..."})"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from llmrelay.testing.receiver import Received, ReceiverLog, ReceiverThread

ROOT_NAMESPACE = ""


@dataclass(slots=True)
class _Version:
    data: dict[str, Any] | None  # None: deleted
    created_time: str
    deletion_time: str = ""


@dataclass(slots=True)
class _Secret:
    versions: list[_Version] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class VaultSimulator:
    def __init__(
        self,
        token: str = "hvs.test-token",
        mounts: tuple[str, ...] = ("secret",),
        *,
        approles: dict[str, str] | None = None,
        lease_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        # token → until when it is valid (a static token: forever)
        self.tokens: dict[str, float] = {token: float("inf")}
        self.mounts = set(mounts)
        self.approles = dict(approles or {})
        self.lease_seconds = lease_seconds
        self.logins = 0
        self.log = ReceiverLog()
        self._lock = threading.Lock()
        # (namespace, mount, path) → its versions
        self._secrets: dict[tuple[str, str, str], _Secret] = {}
        self._faults: deque[tuple[int, list[str]]] = deque()
        self._thread = ReceiverThread(
            [(m, "/v1/{tail:.*}", self._handle) for m in ("GET", "POST", "PUT", "DELETE")]
        )
        self.base_url = ""

    # ---- test controls
    def put(
        self, path: str, data: dict[str, Any], *, mount: str = "secret", namespace: str = ROOT_NAMESPACE
    ) -> int:
        """Write a version of a secret, as a client would; returns its version number."""
        with self._lock:
            secret = self._secrets.setdefault((namespace.strip("/"), mount, path), _Secret())
            secret.versions.append(_Version(dict(data), _now()))
            return len(secret.versions)

    def fail_next(self, status: int, errors: list[str], times: int = 1) -> None:
        with self._lock:
            self._faults.extend([(status, list(errors))] * times)

    @property
    def requests(self) -> list[Received]:
        return self.log.items

    # ---- the API
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.log.add(Received(request.method, request.path, headers, body))
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None:
            return _errors(fault[0], fault[1])
        tail = request.match_info["tail"]
        if request.method == "POST" and tail == "auth/approle/login":
            return self._login(body)
        with self._lock:
            until = self.tokens.get(headers.get("x-vault-token", ""), 0.0)
        if self._clock() >= until:
            return _errors(403, ["permission denied"])
        mount, marker, path = tail.partition("/data/")
        if not marker or mount not in self.mounts or not path:
            return _errors(404, [f'no handler for route "{tail}". route entry not found.'])
        key = (headers.get("x-vault-namespace", ROOT_NAMESPACE).strip("/"), mount, path)
        if request.method == "GET":
            return self._read(key, request.query.get("version"))
        if request.method == "DELETE":
            return self._delete(key)
        return self._write(key, body)

    def _login(self, body: bytes) -> web.StreamResponse:
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            return _errors(400, ["error parsing JSON"])
        role_id = document.get("role_id") if isinstance(document, dict) else None
        secret_id = document.get("secret_id") if isinstance(document, dict) else None
        if not role_id or self.approles.get(role_id) != secret_id:
            return _errors(400, ["invalid role or secret ID"])
        token = f"hvs.approle-{uuid.uuid4().hex}"
        with self._lock:
            self.tokens[token] = self._clock() + self.lease_seconds
            self.logins += 1
        auth = {
            "client_token": token,
            "accessor": uuid.uuid4().hex,
            "policies": ["default"],
            "token_policies": ["default"],
            "lease_duration": int(self.lease_seconds),
            "renewable": True,
        }
        return web.json_response({"request_id": str(uuid.uuid4()), "auth": auth, "data": None})

    def _read(self, key: tuple[str, str, str], version: str | None) -> web.StreamResponse:
        with self._lock:
            secret = self._secrets.get(key)
            if secret is None or not secret.versions:
                return _errors(404, [])
            try:
                number = int(version) if version else len(secret.versions)
            except ValueError:
                return _errors(400, ["invalid version"])
            if not 1 <= number <= len(secret.versions):
                return _errors(404, [])
            found = secret.versions[number - 1]
        metadata = {
            "created_time": found.created_time,
            "custom_metadata": None,
            "deletion_time": found.deletion_time,
            "destroyed": False,
            "version": number,
        }
        if found.data is None:
            # Vault answers a deleted version with 404, its metadata in data
            return web.json_response({"data": {"data": None, "metadata": metadata}}, status=404)
        return web.json_response(
            {
                "request_id": str(uuid.uuid4()),
                "lease_id": "",
                "renewable": False,
                "lease_duration": 0,
                "data": {"data": found.data, "metadata": metadata},
                "wrap_info": None,
                "warnings": None,
                "auth": None,
                "mount_type": "kv",
            }
        )

    def _write(self, key: tuple[str, str, str], body: bytes) -> web.StreamResponse:
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            return _errors(400, ["error parsing JSON"])
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, dict):
            return _errors(400, ["no data provided"])
        cas = (document.get("options") or {}).get("cas")
        with self._lock:
            secret = self._secrets.setdefault(key, _Secret())
            if cas is not None and cas != len(secret.versions):
                return _errors(400, ["check-and-set parameter did not match the current version"])
            created = _now()
            secret.versions.append(_Version(data, created))
            number = len(secret.versions)
        metadata = {"created_time": created, "custom_metadata": None, "deletion_time": "", "destroyed": False}
        return web.json_response({"data": {**metadata, "version": number}})

    def _delete(self, key: tuple[str, str, str]) -> web.StreamResponse:
        with self._lock:
            secret = self._secrets.get(key)
            if secret is not None and secret.versions:
                latest = secret.versions[-1]
                latest.data, latest.deletion_time = None, _now()
        return web.Response(status=204)

    def __enter__(self) -> VaultSimulator:
        self.base_url = self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.stop()


def _errors(status: int, errors: list[str]) -> web.StreamResponse:
    return web.json_response({"errors": errors}, status=status)
