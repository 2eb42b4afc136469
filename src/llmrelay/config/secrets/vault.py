"""HashiCorp Vault's KV version 2 secrets engine (`key_management_system: hashicorp_vault`):
`GET /v1/<mount>/data/<path>` with the `X-Vault-Token` header (and `X-Vault-Namespace` on Vault
Enterprise), the secret being the `key` field of the answer's `data.data`, where LiteLLM keeps it.

Configured as LiteLLM's is, from the environment (LiteLLM's names first, Vault's own CLI names
second): HCP_VAULT_ADDR / VAULT_ADDR (default http://127.0.0.1:8200), HCP_VAULT_TOKEN /
VAULT_TOKEN, HCP_VAULT_NAMESPACE / VAULT_NAMESPACE, HCP_VAULT_MOUNT_NAME (the KV mount, default
`secret`), HCP_VAULT_PATH_PREFIX (a folder inside the mount), HCP_VAULT_REFRESH_INTERVAL (seconds).
Token authentication only: AppRole and TLS-certificate sign-in (HCP_VAULT_APPROLE_*,
HCP_VAULT_CLIENT_CERT) stop the start, naming what is missing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import quote

from llmrelay.config.secrets.errors import SecretError
from llmrelay.config.secrets.http import exchange

SYSTEM = "hashicorp_vault"
DEFAULT_ADDRESS = "http://127.0.0.1:8200"
DEFAULT_MOUNT = "secret"
VALUE_FIELD = "key"
_UNSUPPORTED_AUTH = ("HCP_VAULT_APPROLE_ROLE_ID", "HCP_VAULT_APPROLE_SECRET_ID", "HCP_VAULT_CLIENT_CERT",
                     "HCP_VAULT_CLIENT_KEY", "HCP_VAULT_CERT_ROLE")  # fmt: skip
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
    }
)


def _first(env: Mapping[str, str], *names: str) -> str | None:
    return next((env[name] for name in names if env.get(name)), None)


class VaultKv2:
    """Reads secrets by path from one KV v2 mount."""

    system = SYSTEM
    own_variables = OWN_VARIABLES

    def __init__(self, env: Mapping[str, str]) -> None:
        other_auth = [name for name in _UNSUPPORTED_AUTH if env.get(name)]
        if other_auth:
            raise SecretError(
                f"{SYSTEM}: only token authentication is supported (HCP_VAULT_TOKEN); "
                f"not {', '.join(other_auth)}"
            )
        token = _first(env, "HCP_VAULT_TOKEN", "VAULT_TOKEN")
        if not token:
            raise SecretError(f"{SYSTEM} needs a token in HCP_VAULT_TOKEN (or VAULT_TOKEN)")
        self._token = token
        self._namespace = _first(env, "HCP_VAULT_NAMESPACE", "VAULT_NAMESPACE")
        address = _first(env, "HCP_VAULT_ADDR", "VAULT_ADDR") or DEFAULT_ADDRESS
        mount = (env.get("HCP_VAULT_MOUNT_NAME") or DEFAULT_MOUNT).strip("/")
        prefix = (env.get("HCP_VAULT_PATH_PREFIX") or "").strip("/")
        self._base = f"{address.rstrip('/')}/v1/{quote(mount)}/data/" + (
            f"{quote(prefix)}/" if prefix else ""
        )

    def read(self, name: str) -> str | None:
        """The secret's `key` field, None if there is no such secret. Raises SecretError."""
        headers = {"x-vault-token": self._token, "accept": "application/json"}
        if self._namespace:
            headers["x-vault-namespace"] = self._namespace
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
