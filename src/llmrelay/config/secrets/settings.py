"""`general_settings.key_management_system` and `key_management_settings`, LiteLLM's spellings.

Implemented: reading secrets (`access_mode` read_only, and the read half of read_and_write),
`hosted_keys` (only these names are read from the manager), `primary_secret_name` (AWS: many
names in one JSON secret). Refused at startup, by name: storing virtual keys in the manager
(`store_virtual_keys`, `access_mode: write_only`), and every system but `aws_secret_manager`,
`hashicorp_vault` and `local` (no manager: the environment)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, Protocol

import msgspec

from llmrelay.config.secrets.errors import SecretError

# LiteLLM's default refresh of a manager's cached secrets (SECRET_MANAGER_REFRESH_INTERVAL): a day
DEFAULT_REFRESH_SECONDS = 86_400.0
SUPPORTED_SYSTEMS = ("aws_secret_manager", "hashicorp_vault", "local")
LITELLM_SYSTEMS = ("google_kms", "azure_key_vault", "google_secret_manager", "cyberark", "aws_kms", "custom")


class KeyManagementSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    hosted_keys: list[str] | None = None
    access_mode: Literal["read_only", "write_only", "read_and_write"] = "read_only"
    store_virtual_keys: bool = False
    prefix_for_stored_virtual_keys: str | None = None
    description: str | None = None
    primary_secret_name: str | None = None
    # llmrelay: seconds between two reads of the manager's secrets, off the request path
    refresh_interval_seconds: Annotated[float, msgspec.Meta(ge=1)] | None = None


class SecretStore(Protocol):
    """One secret manager: reads a secret by name (None: no such secret)."""

    system: str
    # the environment variables configuring the manager itself: never looked up in it
    own_variables: frozenset[str]

    def read(self, name: str) -> str | None: ...


def open_store(system: str, settings: KeyManagementSettings, env: Mapping[str, str]) -> SecretStore | None:
    """The manager `system` names, configured from `env`; None for `local`. Raises SecretError
    naming what is not supported or missing."""
    if system not in SUPPORTED_SYSTEMS:
        known = (
            "a LiteLLM key_management_system llmrelay does not implement"
            if system in LITELLM_SYSTEMS
            else ("no key_management_system LiteLLM knows")
        )
        raise SecretError(f"{system!r} is {known}; supported: {', '.join(SUPPORTED_SYSTEMS)}")
    if settings.store_virtual_keys:
        raise SecretError(
            "key_management_settings.store_virtual_keys is not supported: virtual keys are stored as "
            "SHA-256 hashes in the database only"
        )
    if settings.access_mode == "write_only":
        raise SecretError(
            "key_management_settings.access_mode write_only only stores virtual keys in the manager, "
            "which llmrelay does not do (read_only reads secrets from it)"
        )
    if system == "local":
        return None
    if system == "aws_secret_manager":
        from llmrelay.config.secrets.aws import AwsSecretsManager

        return AwsSecretsManager(env)
    if settings.primary_secret_name:
        raise SecretError("key_management_settings.primary_secret_name is for aws_secret_manager only")
    from llmrelay.config.secrets.vault import VaultKv2

    return VaultKv2(env)


def refresh_seconds(system: str, settings: KeyManagementSettings, env: Mapping[str, str]) -> float:
    if settings.refresh_interval_seconds is not None:
        return settings.refresh_interval_seconds
    raw = env.get("HCP_VAULT_REFRESH_INTERVAL") if system == "hashicorp_vault" else None
    if raw:
        try:
            seconds = float(raw)
        except ValueError:
            raise SecretError(f"HCP_VAULT_REFRESH_INTERVAL is not a number of seconds: {raw!r}") from None
        if seconds < 1:
            raise SecretError("HCP_VAULT_REFRESH_INTERVAL must be at least 1 second")
        return seconds
    return DEFAULT_REFRESH_SECONDS
