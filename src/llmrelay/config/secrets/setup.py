"""Building a config's SecretResolver: the manager `general_settings.key_management_system` names
(its own settings resolved from the environment first), or none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmrelay.config.errors import ConfigError
from llmrelay.config.secrets.errors import SecretError
from llmrelay.config.secrets.managed import ManagedSecrets
from llmrelay.config.secrets.references import SecretResolver
from llmrelay.config.secrets.settings import KeyManagementSettings, open_store, refresh_seconds

SYSTEM_PATH = "general_settings.key_management_system"
SETTINGS_PATH = "general_settings.key_management_settings"


def secret_resolver(source: str, general: Any, env: Mapping[str, str]) -> SecretResolver:
    """The resolver for a config whose raw general_settings are `general`. Raises ConfigError."""
    plain = SecretResolver(source, env)
    raw = general if isinstance(general, dict) else {}
    system = plain.resolve(raw.get("key_management_system"), SYSTEM_PATH)
    raw_settings = plain.resolve(raw.get("key_management_settings"), SETTINGS_PATH)
    if system is None or system == "":
        if raw_settings:
            raise ConfigError(source, SETTINGS_PATH, "has no effect without key_management_system")
        return plain
    if not isinstance(system, str):
        raise ConfigError(source, SYSTEM_PATH, "expected the name of a secret manager")
    try:
        settings = msgspec.convert(raw_settings or {}, KeyManagementSettings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(
            source, SETTINGS_PATH, str(exc).replace("Object contains unknown field", "unknown setting")
        ) from None
    try:
        store = open_store(system, settings, env)
        seconds = refresh_seconds(system, settings, env)
    except SecretError as exc:
        raise ConfigError(source, SYSTEM_PATH, str(exc)) from None
    if store is None:
        return plain
    return SecretResolver(source, env, ManagedSecrets(store, settings, seconds))
