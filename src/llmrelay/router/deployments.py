"""The LiteLLM-style model_list → typed router deployments.

A router deployment is a call target (llmrelay Deployment) plus what routing needs: its group, limits,
weight, priority order, tags and catalog facts (model_info)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from llmrelay.core.resolve import split_model
from llmrelay.cost.catalog import Catalog
from llmrelay.cost.custom_prices import custom_prices, is_price_field
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router.model_strings import model_string_problem
from llmrelay.router.regions import deployment_region
from llmrelay.router.upstream_tls import TLS_KEYS, upstream_tls
from llmrelay.secret_files import SecretFileError, read_secret_file
from llmrelay.types.call_defaults import DEFAULT_FIELDS, CallDefaults
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError
from llmrelay.types.prices import Prices

# litellm_params keys that configure routing rather than the provider call
_ROUTING_KEYS = frozenset(
    {"rpm", "tpm", "weight", "order", "tags", "max_parallel_requests", "stream_chunk_timeout"}
)
_DEPLOYMENT_KEYS = frozenset(
    {"api_key", "api_base", "api_version", "timeout", "stream_timeout", "max_retries",
     "extra_headers", "organization"}
)  # fmt: skip
_ENV_PREFIX = "os.environ/"
_FILE_PREFIX = "os.file/"


_NOT_OPTIONS = DEFAULT_FIELDS | {"drop_params", "mock_response", "num_retries"}
_MSGSPEC_PATH = re.compile(r" - at `\$(.*)`$")


class ModelListError(BadRequestError):
    """A model_list entry llmrelay cannot serve; `path` says where (`model_list[3].litellm_params.model`)
    and `problem` what is wrong, so a config loader can name the file too."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True, slots=True)
class RouterDeployment:
    id: str
    model_name: str
    target: Deployment
    rpm: int | None = None
    tpm: int | None = None
    weight: float | None = None
    order: int = 1
    tags: frozenset[str] = frozenset()
    max_parallel_requests: int | None = None
    stream_chunk_timeout: float | None = None
    model_info: Mapping[str, Any] = field(default_factory=dict)
    # a hash of the call settings: an auth cooldown lasts until this changes
    fingerprint: str = ""
    # "eu" | "us" | None (unknown), for end users limited to a region (router/regions.py)
    region: str | None = None

    @property
    def is_wildcard(self) -> bool:
        return self.target.model.endswith("*")

    @property
    def balance_weight(self) -> float:
        """weight, else rpm, else tpm, else 1 (LiteLLM's simple-shuffle rule)."""
        if self.weight:
            return float(self.weight)
        if self.rpm:
            return float(self.rpm)
        return float(self.tpm) if self.tpm else 1.0

    def for_model(self, requested: str, registry: ProviderRegistry, catalog: Catalog) -> Deployment:
        """The concrete call target; a wildcard deployment takes the requested model's name."""
        if not self.is_wildcard:
            return self.target
        stem = self.target.model[:-1]
        name = requested
        if self.target.provider != "*":
            prefix = f"{self.target.provider}/"
            name = requested[len(prefix) :] if requested.startswith(prefix) else requested
            return msgspec.structs.replace(
                self.target, model=stem + name if stem else name, model_name=requested
            )
        provider, model = split_model(requested, registry, catalog)
        return msgspec.structs.replace(self.target, provider=provider, model=model, model_name=requested)

    def public(self) -> dict[str, Any]:
        """The deployment as `/model/info` shows it: no key."""
        t = self.target
        return {
            "model_name": self.model_name,
            "litellm_params": {
                "model": t.qualified_model if t.provider != "*" else t.model,
                "api_base": t.api_base,
                "api_version": t.api_version,
                "rpm": self.rpm,
                "tpm": self.tpm,
                "weight": self.weight,
                "order": self.order,
                "tags": sorted(self.tags),
                "max_parallel_requests": self.max_parallel_requests,
                "timeout": t.timeout,
                "stream_timeout": t.stream_timeout,
            },
            "model_info": {**self.model_info, "id": self.id},
        }


def parse_model_list(
    model_list: Sequence[Mapping[str, Any]], registry: ProviderRegistry, catalog: Catalog
) -> list[RouterDeployment]:
    deployments = [_parse_one(i, entry, registry, catalog) for i, entry in enumerate(model_list)]
    seen: dict[str, int] = {}
    for i, d in enumerate(deployments):
        if d.id not in seen:
            seen[d.id] = i
            continue
        if (model_list[i].get("model_info") or {}).get("id"):
            raise ModelListError(
                f"model_list[{i}].model_info.id",
                f"expected a unique id, got {d.id!r} (also the id of model_list[{seen[d.id]}])",
            )
        # the same deployment written twice (LiteLLM accepts it): both serve, as distinct deployments;
        # the first keeps the id it always had
        n = 2
        while f"{d.id}-{n}" in seen:
            n += 1
        unique = f"{d.id}-{n}"
        deployments[i] = dataclasses.replace(
            d, id=unique, target=msgspec.structs.replace(d.target, id=unique)
        )
        seen[unique] = i
    return deployments


def _parse_one(
    index: int, entry: Mapping[str, Any], registry: ProviderRegistry, catalog: Catalog
) -> RouterDeployment:
    where = f"model_list[{index}]"
    model_name = entry.get("model_name")
    params = dict(entry.get("litellm_params") or {})
    if not isinstance(model_name, str) or not model_name:
        raise ModelListError(f"{where}.model_name", "required: the name clients ask for")
    model = params.pop("model", None)
    if not isinstance(model, str) or not model:
        raise ModelListError(f"{where}.litellm_params.model", "required: `provider/model`")
    params = {k: _secret_reference(f"{where}.litellm_params.{k}", v) for k, v in params.items()}
    # TLS to the upstream: the transport's business, never a provider option
    tls, problem = upstream_tls(*(params.pop(key, None) for key in TLS_KEYS))
    if problem is not None:
        key, _, text = problem.partition(": ")
        raise ModelListError(f"{where}.litellm_params.{key}", text)
    custom_provider = params.pop("custom_llm_provider", None)
    if custom_provider and not model.startswith(f"{custom_provider}/"):
        model = f"{custom_provider}/{model}"
    info = dict(entry.get("model_info") or {})
    prices = _prices(where, params, info)
    # the two prices read before any other was: popped before the fingerprint, as they always were
    for price in ("input_cost_per_token", "output_cost_per_token"):
        if price in params:
            info.setdefault(price, params.pop(price))
    if model == "*":
        provider, provider_model = "*", "*"
    else:
        problem = model_string_problem(model, registry)
        if problem is not None:
            raise ModelListError(f"{where}.litellm_params.model", problem)
        try:
            provider, provider_model = split_model(model, registry, catalog)
        except BadRequestError as exc:
            raise ModelListError(f"{where}.litellm_params.model", exc.message) from exc
    call = {k: params[k] for k in _DEPLOYMENT_KEYS if params.get(k) is not None}
    options = {k: v for k, v in params.items() if k not in _DEPLOYMENT_KEYS | _ROUTING_KEYS}
    if provider == "*":
        _refuse_catch_all_credentials(where, call, options)
    if info.get("base_model") and "base_model" not in options:
        # LiteLLM's place for it: the model a deployment runs, for prices (an Azure deployment's name
        # says nothing about it)
        options["base_model"] = info["base_model"]
    fingerprint = _fingerprint(model_name, model, call, options)
    deployment_id = str(info.get("id") or fingerprint[:16])
    # prices, call defaults and mock/drop switches are no provider option (adapters never read
    # them), but stay in the fingerprint above, so ids of existing configs do not change
    if call.get("max_retries") is None and options.get("num_retries") is not None:
        # LiteLLM's retries of this deployment; llmrelay's spelling is max_retries
        call["max_retries"] = _opt_int(options["num_retries"])
    defaults = _defaults(where, options)
    drop_params = _flag(where, "drop_params", options.get("drop_params"))
    mock = options.get("mock_response")
    if mock is not None and not isinstance(mock, str):
        raise ModelListError(f"{where}.litellm_params.mock_response", f"expected a string, got {mock!r}")
    options = {k: v for k, v in options.items() if k not in _NOT_OPTIONS and not is_price_field(k)}
    target = Deployment(
        provider=provider,
        model=provider_model,
        options=options or None,
        prices=prices,
        defaults=defaults,
        drop_params=drop_params,
        mock_response=mock,
        tls=tls,
        id=deployment_id,
        model_name=model_name,
        **call,
    )
    return RouterDeployment(
        id=deployment_id,
        model_name=model_name,
        target=target,
        rpm=_opt_int(params.get("rpm")),
        tpm=_opt_int(params.get("tpm")),
        weight=_opt_float(params.get("weight")),
        order=int(params.get("order") or 1),
        tags=frozenset(params.get("tags") or ()),
        max_parallel_requests=_opt_int(params.get("max_parallel_requests")),
        stream_chunk_timeout=_opt_float(params.get("stream_chunk_timeout")),
        model_info=info,
        fingerprint=fingerprint,
        region=deployment_region(target, registry),
    )


def _defaults(where: str, options: Mapping[str, Any]) -> CallDefaults | None:
    given = {k: v for k, v in options.items() if k in DEFAULT_FIELDS and v is not None}
    if not given:
        return None
    try:
        return msgspec.convert(given, CallDefaults, strict=False)
    except msgspec.ValidationError as exc:
        found = _MSGSPEC_PATH.search(str(exc))
        inner = found.group(1) if found else ""
        problem = _MSGSPEC_PATH.sub("", str(exc)).replace("Expected", "expected")
        raise ModelListError(f"{where}.litellm_params{inner}", problem) from None


def _flag(where: str, name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ModelListError(f"{where}.litellm_params.{name}", f"expected true or false, got {value!r}")


def _prices(where: str, params: Mapping[str, Any], info: Mapping[str, Any]) -> Prices | None:
    """The deployment's own prices, from litellm_params or model_info (litellm_params wins, as in
    LiteLLM). A price llmrelay cannot apply stops the config: spend would be counted wrong."""
    merged = {**info, **params}
    prices, problems = custom_prices(merged)
    if problems:
        first = problems[0]
        section = "litellm_params" if first.field in params else "model_info"
        raise ModelListError(f"{where}.{section}.{first.field}", first.problem)
    return prices


# what a catch-all deployment may not carry: it would go to whichever provider a client names
_CREDENTIAL_KEYS = ("api_key", "api_base", "extra_headers", "organization")
_SECRET_OPTION = re.compile(r"key|secret|token|password|credential", re.IGNORECASE)


def _refuse_catch_all_credentials(where: str, call: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    """A `model: "*"` deployment serves every `provider/model` a client names, so a key or endpoint
    on it would be sent to that provider — `ollama/x` (localhost:11434), `lm_studio/x`, anyone's.
    Credentials belong to one provider: a wildcard naming it (`openai/*`) keeps them there."""
    named = [k for k in _CREDENTIAL_KEYS if k in call]
    named += sorted(k for k in options if _SECRET_OPTION.search(k) and options[k] is not None)
    if named:
        raise ModelListError(
            f"{where}.litellm_params",
            f'a catch-all deployment (model: "*") cannot carry {", ".join(named)}: they would be sent '
            "to whichever provider a client names. Name the provider they belong to "
            '(model: "openai/*", or custom_llm_provider), or leave them to each provider\'s '
            "environment variables",
        )


def _secret_reference(field_path: str, value: Any) -> Any:
    """`os.environ/NAME` → the variable's value (LiteLLM's secret reference syntax); `os.file/PATH` →
    the file's content, as the gateway's config resolves it — an SDK Router given the same model_list
    must not send the reference itself to a provider as a key."""
    if not isinstance(value, str):
        return value
    if value.startswith(_ENV_PREFIX):
        return os.environ.get(value[len(_ENV_PREFIX) :])
    if value.startswith(_FILE_PREFIX):
        try:
            return read_secret_file(value[len(_FILE_PREFIX) :])
        except SecretFileError as exc:
            raise ModelListError(field_path, str(exc)) from None
    return value


def _fingerprint(model_name: str, model: str, call: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    # the key enters only as a digest, so ids and logs never reveal it
    material = repr((model_name, model, sorted((k, repr(v)) for k, v in {**call, **options}.items())))
    return hashlib.sha256(material.encode()).hexdigest()


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
