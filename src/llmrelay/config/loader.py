"""Load a LiteLLM-style config.yaml: resolve `os.environ/NAME` references, check types, report
unknown keys as warnings. Every error names the file, the path inside it and what was expected."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from llmrelay.cache.settings import CacheConfigError, CacheSettings, cache_settings
from llmrelay.config.checks import check_fallbacks, check_strategy, did_you_mean, environment_values
from llmrelay.config.errors import ConfigError
from llmrelay.config.litellm_keys import LITELLM_PARAMS
from llmrelay.config.schema import (
    MODEL_INFO_KEYS,
    PROVIDER_PARAMS,
    TOP_LEVEL_SECTIONS,
    GeneralSettings,
    LitellmParams,
    LitellmSettings,
    ModelEntry,
    RouterSettings,
)
from llmrelay.config.secrets.managed import ManagedSecrets
from llmrelay.config.secrets.setup import secret_resolver
from llmrelay.config.unsupported import KeyPolicy
from llmrelay.cost.custom_prices import is_price_field
from llmrelay.events.sinks.selection import ConfiguredSinks, configure_sinks, resolve_names
from llmrelay.types.call_defaults import DEFAULT_FIELDS
from llmrelay.types.errors import LLMError

# ConfigError lives in config/errors.py; importers of it from here keep working
__all__ = ["ConfigError", "GatewayConfig", "load_config", "parse_config"]


@dataclass(slots=True)
class GatewayConfig:
    """A loaded config. `model_list` keeps LiteLLM's dict shape (secrets resolved), as the Router takes."""

    source: str
    model_list: list[dict[str, Any]]
    router_settings: RouterSettings
    litellm_settings: LitellmSettings
    general: GeneralSettings
    environment_variables: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # litellm_settings.cache: true — the response cache's checked settings
    cache: CacheSettings | None = None
    # general_settings.key_management_system: the secrets read from the manager (refreshed by a
    # worker service, config/secrets/refresh.py); None without a manager
    secrets: ManagedSecrets | None = None

    def router_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for llmrelay.router.Router, from router_settings and litellm_settings."""
        rs, ls = self.router_settings, self.litellm_settings
        model_list = self._with_azure_identity(self._with_tls_defaults(self.model_list))
        kwargs: dict[str, Any] = {"model_list": model_list}
        chosen = {
            "routing_strategy": rs.routing_strategy,
            "num_retries": _first(rs.num_retries, ls.num_retries),
            "retry_after": rs.retry_after,
            "timeout": _first(rs.timeout, ls.request_timeout),
            "stream_timeout": rs.stream_timeout,
            "stream_chunk_timeout": rs.stream_chunk_timeout,
            "retry_policy": rs.retry_policy,
            "routing_strategy_args": rs.routing_strategy_args,
            "cooldown_window": rs.cooldown_window,
            "auth_cooldown_time": rs.auth_cooldown_time,
            "redis_key_prefix": rs.redis_key_prefix,
            "health_check_interval": self._health_check_interval(),
            "fallbacks": _first(rs.fallbacks, ls.fallbacks),
            "context_window_fallbacks": _first(rs.context_window_fallbacks, ls.context_window_fallbacks),
            "content_policy_fallbacks": _first(rs.content_policy_fallbacks, ls.content_policy_fallbacks),
            "default_fallbacks": _first(rs.default_fallbacks, ls.default_fallbacks),
            "model_group_alias": rs.model_group_alias,
            "allowed_fails": _first(rs.allowed_fails, ls.allowed_fails),
            "cooldown_time": _first(rs.cooldown_time, ls.cooldown_time),
            "disable_cooldowns": rs.disable_cooldowns,
            "redis_url": rs.redis_url or _redis_url(rs),
            "enable_pre_call_checks": rs.enable_pre_call_checks,
            "drop_params": ls.drop_params,
            "max_upstream_response_bytes": _mib_to_bytes(ls.max_upstream_response_mb),
            "max_upstream_stream_event_bytes": _mib_to_bytes(ls.max_upstream_stream_event_mb),
            "max_embedding_inputs": ls.max_embedding_inputs,
            "max_rerank_documents": ls.max_rerank_documents,
        }
        kwargs.update({k: v for k, v in chosen.items() if v is not None})
        return kwargs

    def _with_tls_defaults(self, model_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """litellm_settings' ssl_verify / ssl_certificate in each deployment that sets none itself."""
        ls = self.litellm_settings
        defaults = {k: v for k, v in (("ssl_verify", ls.ssl_verify), ("ssl_certificate", ls.ssl_certificate))
                    if v is not None}  # fmt: skip
        if not defaults:
            return model_list
        out = []
        for entry in model_list:
            params = entry.get("litellm_params") or {}
            if any(key in params for key in defaults):  # a deployment's own settings win, whole
                out.append(entry)
            else:
                out.append({**entry, "litellm_params": {**params, **defaults}})
        return out

    def _with_azure_identity(self, model_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """litellm_settings.enable_azure_ad_token_refresh: each Azure deployment that names no
        azure_identity of its own takes DefaultAzureCredential's secretless identities (ambient.py),
        used when it has no key, token or app registration."""
        if not self.litellm_settings.enable_azure_ad_token_refresh:
            return model_list
        out = []
        for entry in model_list:
            params = entry.get("litellm_params") or {}
            model = str(params.get("model") or "")
            if model.startswith("azure/") and "azure_identity" not in params:
                entry = {**entry, "litellm_params": {**params, "azure_identity": "DefaultAzureCredential"}}
            out.append(entry)
        return out

    def _health_check_interval(self) -> float | None:
        general = self.general
        if not general.background_health_checks:
            return None
        # LiteLLM's default interval when background checks are on
        return general.health_check_interval if general.health_check_interval is not None else 300.0

    def sinks(self) -> ConfiguredSinks:
        """The event sinks named in litellm_settings (callbacks, success_callback, failure_callback)."""
        ls = self.litellm_settings
        return configure_sinks(
            ls.callbacks,
            ls.success_callback,
            ls.failure_callback,
            ls.callback_settings,
            turn_off_message_logging=bool(ls.turn_off_message_logging),
        )

    def apply_environment(self, environ: os._Environ[str] | dict[str, str] | None = None) -> None:
        """Export `environment_variables` (LiteLLM sets them for the process; providers read keys there)."""
        target = os.environ if environ is None else environ
        for name, value in self.environment_variables.items():
            target[name] = value


def _mib_to_bytes(mib: float | None) -> int | None:
    return None if mib is None else max(1, int(mib * 1024 * 1024))


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> GatewayConfig:
    """Read and check a config file. Raises ConfigError."""
    import yaml  # lazy: only the CLI and the server load config files

    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, "", f"cannot read the file ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        raise ConfigError(source, at, f"not valid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(source, "", f"not valid YAML: {exc}") from exc
    return parse_config(data if data is not None else {}, source=source, environ=environ)


def parse_config(data: Any, *, source: str, environ: Mapping[str, str] | None = None) -> GatewayConfig:
    """Check an already-parsed config document (a dict) and resolve its secrets."""
    if not isinstance(data, dict):
        raise ConfigError(source, "", f"expected a mapping of sections at the top, got {_kind(data)}")
    warnings: list[str] = []
    env_vars, env_warnings = environment_values(source, data.get("environment_variables"))
    warnings.extend(env_warnings)
    env: dict[str, str] = dict(os.environ if environ is None else environ)
    policy = KeyPolicy(source, data.get("general_settings") or {}, env)
    resolver = secret_resolver(source, data.get("general_settings"), env)
    _resolve = resolver.resolve
    for key, value in data.items():
        if key not in TOP_LEVEL_SECTIONS:
            policy.unknown("", str(key), str(key), value, TOP_LEVEL_SECTIONS)
    env_vars = _resolve(env_vars, "environment_variables")
    env.update(env_vars)

    raw_models = data.get("model_list") or []
    if not isinstance(raw_models, list):
        raise ConfigError(source, "model_list", f"expected a list of models, got {_kind(raw_models)}")
    models: list[dict[str, Any]] = _resolve(raw_models, "model_list")
    _check(models, list[ModelEntry], source, "model_list")
    known_params = [*_fields(LitellmParams), *PROVIDER_PARAMS, *DEFAULT_FIELDS]
    for i, entry in enumerate(models):
        warnings.extend(_unknown_keys(entry, ModelEntry, source, f"model_list[{i}]"))
        params = raw_models[i].get("litellm_params") or {}
        for key, value in params.items():
            if key not in known_params and not is_price_field(key):
                path = f"model_list[{i}].litellm_params.{key}"
                if key in LITELLM_PARAMS:
                    policy.unknown("litellm_params", path, key, value, known_params)
                else:
                    hint = did_you_mean(key, known_params)
                    warnings.append(
                        f"{source}: {path}: unknown parameter, ignored (never sent to the provider){hint}"
                    )
        info = raw_models[i].get("model_info") or {}
        for key, value in info.items() if isinstance(info, dict) else ():
            if key not in MODEL_INFO_KEYS and not key.startswith("supports_") and not is_price_field(key):
                policy.unknown("model_info", f"model_list[{i}].model_info.{key}", key, value, MODEL_INFO_KEYS)

    _check_deployments(models, source, env)

    def section(name: str, cls: type[Any]) -> Any:
        raw = _resolve(data.get(name) or {}, name)
        if not isinstance(raw, dict):
            raise ConfigError(source, name, f"expected a mapping, got {_kind(raw)}")
        known = _fields(cls)
        for key, value in (data.get(name) or {}).items():
            if key not in known:
                policy.unknown(name, f"{name}.{key}", key, value, known)
        return _check(raw, cls, source, name)

    litellm_settings: LitellmSettings = section("litellm_settings", LitellmSettings)
    router_settings: RouterSettings = section("router_settings", RouterSettings)
    check_strategy(source, "router_settings.routing_strategy", router_settings.routing_strategy)
    groups = [str(entry.get("model_name")) for entry in models]
    for name in ("router_settings", "litellm_settings"):
        check_fallbacks(source, name, data.get(name) or {}, groups)
    callback_warnings: list[str] = []
    ls = litellm_settings
    resolve_names(
        ls.callbacks, ls.success_callback, ls.failure_callback, callback_warnings, ls.callback_settings
    )
    warnings.extend(f"{source}: litellm_settings: {w}" for w in callback_warnings)
    cache = None
    if ls.cache:
        try:
            cache = cache_settings(ls.cache_params, env)
        except CacheConfigError as exc:
            raise ConfigError(source, "litellm_settings", str(exc)) from None
    elif ls.cache_params:
        warnings.append(f"{source}: litellm_settings.cache_params: no effect without cache: true")
    general: GeneralSettings = section("general_settings", GeneralSettings)
    return GatewayConfig(
        source=source,
        model_list=models,
        router_settings=router_settings,
        litellm_settings=litellm_settings,
        general=general,
        environment_variables=env_vars,
        warnings=[*warnings, *policy.warnings],
        cache=cache,
        secrets=resolver.managed,
    )


def _check_deployments(models: list[dict[str, Any]], source: str, env: Mapping[str, str]) -> None:
    """Read the model list as the router will, so what it cannot serve (a model string no provider
    takes, a price it cannot apply, a provider with no endpoint to call) is one config error naming
    the path, not a traceback or a failure on every call later."""
    from llmrelay.cost.catalog import Catalog
    from llmrelay.providers.registry import ProviderRegistry
    from llmrelay.router.deployments import ModelListError, parse_model_list

    registry = ProviderRegistry()
    try:
        deployments = parse_model_list(models, registry, Catalog())
    except ModelListError as exc:
        raise ConfigError(source, exc.path, exc.problem) from None
    for i, deployment in enumerate(deployments):
        target = deployment.target
        if target.provider == "*":
            continue
        try:
            # a provider that serves several model families refuses one it does not serve
            adapter = registry.get(target.provider).for_deployment(target)
        except LLMError as exc:
            raise ConfigError(source, f"model_list[{i}].litellm_params.model", exc.message) from None
        if target.api_base:
            continue
        # providers whose endpoint is the deployment's own (Azure, vLLM...): api_base, else one of
        # their environment variables; those that derive it (a region, a project) are not judged here
        if adapter.default_api_base or not adapter.api_base_env:
            continue
        if not any(env.get(name) for name in adapter.api_base_env):
            raise ConfigError(
                source,
                f"model_list[{i}].litellm_params.api_base",
                f"required for provider {target.provider!r}: the endpoint to call "
                f"(or set {' or '.join(adapter.api_base_env)})",
            )


def _fields(cls: type[Any]) -> tuple[str, ...]:
    return tuple(getattr(cls, "__struct_fields__", ()))


def _unknown_keys(raw: dict[str, Any], cls: type[Any], source: str, path: str) -> list[str]:
    known = _fields(cls)
    return [
        f"{source}: {path}.{key}: unknown key, ignored"
        + (did_you_mean(key, known) or f" (known: {', '.join(known)})")
        for key in raw
        if key not in known
    ]


_MSGSPEC_PATH = re.compile(r" - at `\$(.*)`$")


def _check(value: Any, cls: Any, source: str, path: str) -> Any:
    try:
        return msgspec.convert(value, cls, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _MSGSPEC_PATH.search(message)
        inner = match.group(1) if match else ""
        problem = _MSGSPEC_PATH.sub("", message)
        problem = problem.replace("Expected", "expected").replace("Object missing", "missing")
        raise ConfigError(source, path + inner, problem) from exc


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    kinds: dict[type[Any], str] = {dict: "a mapping", list: "a list", str: "a string"}
    return kinds.get(type(value), type(value).__name__)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _redis_url(rs: RouterSettings) -> str | None:
    if not rs.redis_host:
        return None
    auth = f":{rs.redis_password}@" if rs.redis_password else ""
    return f"redis://{auth}{rs.redis_host}:{rs.redis_port or 6379}"
