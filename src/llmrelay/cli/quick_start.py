"""`llmrelay --model openai/gpt-4o [--api_key K] [--alias A] ...`: the config document of a one-model
gateway, built from the flags as LiteLLM's `litellm --model ...` would serve it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from llmrelay.cli.flags import FlagError


@dataclass(frozen=True, slots=True)
class QuickStart:
    model: str
    api_key: str | None = None
    api_base: str | None = None
    api_version: str | None = None
    alias: str | None = None
    headers: str | None = None
    # defaults the deployment sends when a request leaves them out (litellm_params call defaults)
    temperature: float | None = None
    max_tokens: int | None = None


def served_names(model: str, alias: str | None) -> list[str]:
    """The names a client may ask for: the model string as given, the name without its provider
    prefix (`openai/gpt-4o-mini` is also `gpt-4o-mini`, as with LiteLLM), and the alias."""
    names = [model]
    if "/" in model:
        names.append(model.split("/", 1)[1])
    if alias:
        names.append(alias)
    return list(dict.fromkeys(name for name in names if name))


def parse_headers(raw: str) -> dict[str, str]:
    try:
        headers = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FlagError(f"--headers: expected a JSON object of header names to values ({exc.msg})") from None
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise FlagError('--headers: expected a JSON object of header names to string values: {"X-A": "b"}')
    return headers


def quick_start_document(spec: QuickStart) -> dict[str, Any]:
    """One model group under the model string itself; every other name is an alias of it."""
    if not spec.model.strip():
        raise FlagError("--model: expected a model string, e.g. openai/gpt-4o")
    params: dict[str, Any] = {"model": spec.model}
    for name in ("api_key", "api_base", "api_version"):
        value = getattr(spec, name)
        if value:
            params[name] = value
    if spec.headers:
        params["extra_headers"] = parse_headers(spec.headers)
    if spec.temperature is not None:
        params["temperature"] = spec.temperature
    if spec.max_tokens is not None:
        if spec.max_tokens < 1:
            raise FlagError(f"--max_tokens: expected a positive number, got {spec.max_tokens}")
        params["max_tokens"] = spec.max_tokens
    document: dict[str, Any] = {"model_list": [{"model_name": spec.model, "litellm_params": params}]}
    aliases = {name: spec.model for name in served_names(spec.model, spec.alias)[1:]}
    if aliases:
        document["router_settings"] = {"model_group_alias": aliases}
    return document
