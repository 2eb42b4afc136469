"""Reusable credentials (LiteLLM's `credential_list`): a named set of connection values — a key, an
endpoint, a cloud's account settings — that deployments use by naming it in
`litellm_params.litellm_credential_name` instead of repeating them.

A deployment's own values win over its credential's: the credential fills in what the deployment
does not set. The name itself never reaches a provider (the router gets the merged parameters)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

import msgspec

from llmrelay.config.conversion import checked, kind_of
from llmrelay.config.errors import ConfigError

CREDENTIAL_NAME_KEY = "litellm_credential_name"
# a name is an identifier people type, no free text
CredentialName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
MAX_CREDENTIAL_VALUES = 64


class CredentialEntry(msgspec.Struct, kw_only=True):
    credential_name: CredentialName
    credential_values: Annotated[dict[str, Any], msgspec.Meta(max_length=MAX_CREDENTIAL_VALUES)]
    credential_info: dict[str, Any] | None = None


class CredentialProblem(ValueError):
    """A deployment names a credential that does not exist; `path` is where, inside model_list."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def credential_values(entries: Iterable[CredentialEntry]) -> dict[str, dict[str, Any]]:
    """name → values; a later entry of one name replaces an earlier one."""
    return {entry.credential_name: dict(entry.credential_values) for entry in entries}


def with_credentials(
    model_list: list[dict[str, Any]], credentials: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """`model_list` as the router takes it: each deployment naming a credential gets the values it
    does not set itself, and loses the name. Raises CredentialProblem for a name with no credential."""
    out = []
    for i, entry in enumerate(model_list):
        params = entry.get("litellm_params") or {}
        if not isinstance(params, Mapping) or CREDENTIAL_NAME_KEY not in params:
            out.append(entry)
            continue
        name = params[CREDENTIAL_NAME_KEY]
        values = credentials.get(name) if isinstance(name, str) else None
        if values is None:
            known = ", ".join(sorted(credentials)) or "(none)"
            raise CredentialProblem(
                f"model_list[{i}].litellm_params.{CREDENTIAL_NAME_KEY}",
                f"names no credential: {name!r}; known credentials: {known}",
            )
        own = {k: v for k, v in params.items() if k != CREDENTIAL_NAME_KEY}
        out.append({**entry, "litellm_params": {**values, **own}})
    return out


def parse_credential_list(raw: Any, source: str, resolve: Any) -> list[CredentialEntry]:
    """credential_list, checked and its `os.environ/NAME` values resolved."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError(source, "credential_list", f"expected a list of credentials, got {kind_of(raw)}")
    entries: list[CredentialEntry] = checked(resolve(raw, "credential_list"), list[CredentialEntry],
                                            source, "credential_list")  # fmt: skip
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if entry.credential_name in seen:
            raise ConfigError(source, f"credential_list[{i}].credential_name",
                              f"{entry.credential_name!r} is listed twice")  # fmt: skip
        seen.add(entry.credential_name)
        if "model" in entry.credential_values:
            raise ConfigError(source, f"credential_list[{i}].credential_values.model",
                              "a credential holds connection values, not the model")  # fmt: skip
    return entries
