"""HashiCorp Vault's KV version 2 secrets engine (`key_management_system: hashicorp_vault`):
`GET /v1/<mount>/data/<path>` with the `X-Vault-Token` header (and `X-Vault-Namespace` on Vault
Enterprise), the secret being the `key` field of the answer's `data.data`, where LiteLLM keeps it.

Configured as LiteLLM's is, from the environment (LiteLLM's names first, Vault's own CLI names
second): HCP_VAULT_ADDR / VAULT_ADDR (default http://127.0.0.1:8200), HCP_VAULT_TOKEN /
VAULT_TOKEN, HCP_VAULT_NAMESPACE / VAULT_NAMESPACE, HCP_VAULT_MOUNT_NAME (the KV mount, default
`secret`), HCP_VAULT_PATH_PREFIX (a folder inside the mount), HCP_VAULT_REFRESH_INTERVAL (seconds).

Sign-in: a token (HCP_VAULT_TOKEN), or AppRole — LiteLLM's recommended way, and first when both are
set — with HCP_VAULT_APPROLE_ROLE_ID, HCP_VAULT_APPROLE_SECRET_ID and HCP_VAULT_APPROLE_MOUNT_PATH
(default `approle`): `POST /v1/auth/<mount>/login` gives a token for its lease, signed in again when
the lease has (nearly) run out. TLS-certificate sign-in (HCP_VAULT_CLIENT_CERT...) stops the start,
naming what is missing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from urllib.parse import quote

from llmrelay.config.secrets.errors import SecretError
from llmrelay.config.secrets.http import exchange

SYSTEM = "hashicorp_vault"
DEFAULT_ADDRESS = "http://127.0.0.1:8200"
DEFAULT_MOUNT = "secret"
VALUE_FIELD = "key"
_UNSUPPORTED_AUTH = ("HCP_VAULT_CLIENT_CERT", "HCP_VAULT_CLIENT_KEY", "HCP_VAULT_CERT_ROLE")
_APPROLE = ("HCP_VAULT_APPROLE_ROLE_ID", "HCP_VAULT_APPROLE_SECRET_ID", "HCP_VAULT_APPROLE_MOUNT_PATH")
# an AppRole token is renewed this long before its lease ends (a read must not meet an expired one)
LEASE_MARGIN_SECONDS = 30.0
OWN_VARIABLES = frozenset(
    {
        "HCP_VAULT_ADDR",
        "VAULT_ADDR",
        "HCP_VAULT_TOKEN",
        "VAULT_TOKEN",
        "HCP_VAULT_NAMESPACE",
        "VAULT_NAMESPACE",
        "HCP_VAULT_MOUNT_NAME",
        "HCP_VAULT_PATH_PREFIX",
        "HCP_VAULT_REFRESH_INTERVAL",
        *_UNSUPPORTED_AUTH,
        *_APPROLE,
    }
)


def _first(env: Mapping[str, str], *names: str) -> str | None:
    return next((env[name] for name in names if env.get(name)), None)


class VaultKv2:
    """Reads secrets by path from one KV v2 mount."""

    system = SYSTEM
    own_variables = OWN_VARIABLES

    def __init__(self, env: Mapping[str, str], *, clock: Callable[[], float] = time.monotonic) -> None:
        other_auth = [name for name in _UNSUPPORTED_AUTH if env.get(name)]
        if other_auth:
            raise SecretError(
                f"{SYSTEM}: TLS-certificate sign-in is not supported (use a token or AppRole); "
                f"not {', '.join(other_auth)}"
            )
        self._clock = clock
        self._namespace = _first(env, "HCP_VAULT_NAMESPACE", "VAULT_NAMESPACE")
        address = (_first(env, "HCP_VAULT_ADDR", "VAULT_ADDR") or DEFAULT_ADDRESS).rstrip("/")
        role_id, secret_id = env.get("HCP_VAULT_APPROLE_ROLE_ID"), env.get("HCP_VAULT_APPROLE_SECRET_ID")
        self._approle: tuple[str, bytes] | None = None
        if role_id or secret_id:
            if not (role_id and secret_id):
                raise SecretError(
                    f"{SYSTEM}: AppRole needs both HCP_VAULT_APPROLE_ROLE_ID and HCP_VAULT_APPROLE_SECRET_ID"
                )
            login_mount = (env.get("HCP_VAULT_APPROLE_MOUNT_PATH") or "approle").strip("/")
            body = json.dumps({"role_id": role_id, "secret_id": secret_id}).encode()
            self._approle = (f"{address}/v1/auth/{quote(login_mount)}/login", body)
        token = _first(env, "HCP_VAULT_TOKEN", "VAULT_TOKEN")
        if self._approle is None and not token:
            raise SecretError(f"{SYSTEM} needs a token in HCP_VAULT_TOKEN (or VAULT_TOKEN), or AppRole's ids")
        self._token = token if self._approle is None else None
        self._token_until = float("inf")
        mount = (env.get("HCP_VAULT_MOUNT_NAME") or DEFAULT_MOUNT).strip("/")
        prefix = (env.get("HCP_VAULT_PATH_PREFIX") or "").strip("/")
        self._base = f"{address}/v1/{quote(mount)}/data/" + (f"{quote(prefix)}/" if prefix else "")

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "application/json"}
        if self._namespace:
            headers["x-vault-namespace"] = self._namespace
        return headers

    def _current_token(self) -> str:
        if self._token is not None and self._clock() < self._token_until:
            return self._token
        assert self._approle is not None  # a static token never expires here
        url, body = self._approle
        answer = exchange(SYSTEM, "POST", url, {**self._headers(), "content-type": "application/json"}, body)
        if answer.status != 200:
            raise SecretError(f"{SYSTEM}: AppRole sign-in failed: HTTP {answer.status}")
        try:
            auth = json.loads(answer.body)["auth"]
            token, lease = auth["client_token"], float(auth.get("lease_duration") or 0)
        except (ValueError, KeyError, TypeError):
            raise SecretError(f"{SYSTEM}: AppRole sign-in answered no client_token") from None
        if not isinstance(token, str) or not token:
            raise SecretError(f"{SYSTEM}: AppRole sign-in answered no client_token")
        self._token = token
        # lease 0: the token does not expire
        self._token_until = self._clock() + max(0.0, lease - LEASE_MARGIN_SECONDS) if lease else float("inf")
        return token

    def read(self, name: str) -> str | None:
        """The secret's `key` field, None if there is no such secret. Raises SecretError."""
        headers = {**self._headers(), "x-vault-token": self._current_token()}
        answer = exchange(SYSTEM, "GET", self._base + quote(name.strip("/")), headers)
        if answer.status == 404:
            return None
        if answer.status != 200:
            # not the answer's `errors`: they may quote what was sent
            raise SecretError(f"{SYSTEM}: reading {name!r} failed: HTTP {answer.status}")
        try:
            document = json.loads(answer.body)
            value = document["data"]["data"][VALUE_FIELD]
        except (ValueError, KeyError, TypeError):
            raise SecretError(f"{SYSTEM}: secret {name!r} has no {VALUE_FIELD!r} field in its data") from None
        if not isinstance(value, str):
            raise SecretError(f"{SYSTEM}: secret {name!r}'s {VALUE_FIELD!r} field is not a string")
        return value
