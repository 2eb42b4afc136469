"""Where an SDK call goes: its model string and credentials resolved to a Deployment (core/resolve.py),
and the runner's group of one deployment around it.

Both are values, so a client remembers them for calls that name their provider outright
(`openai/gpt-4o`, or `custom_llm_provider=`) with plain keyword credentials: a program that calls the
same model with the same key builds them once. Bare model names are resolved on every call, since
the catalog that places them may learn new models (`register_model`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from llmrelay.core.resolve import resolve_deployment
from llmrelay.cost.catalog import Catalog
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router.deployments import RouterDeployment
from llmrelay.router.picking import PickRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.http import UpstreamTls

# bounded: model names and keys come from callers; a full memo starts over
_MAX_REMEMBERED = 256


@dataclass(frozen=True, slots=True)
class Target:
    deployment: Deployment
    # the runner's PickRequest for a call answered whole, and for a stream: the group of one
    # deployment; no tags, no token estimate, no lease (it has no limits to reserve against)
    answered: PickRequest
    streamed: PickRequest

    def group(self, stream: bool) -> PickRequest:
        return self.streamed if stream else self.answered


class Targets:
    def __init__(self, registry: ProviderRegistry, catalog: Catalog) -> None:
        self._registry = registry
        self._catalog = catalog
        self._remembered: dict[tuple[Any, ...], Target] = {}

    def resolve(
        self,
        model: str,
        *,
        provider: str | None,
        api_key: str | None,
        api_base: str | None,
        api_version: str | None,
        timeout: float | None,
        extra_headers: dict[str, str] | None,
        organization: str | None,
        credentials: dict[str, Any] | None,
        tls: UpstreamTls | None = None,
    ) -> Target:
        key: tuple[Any, ...] | None = None
        if (
            extra_headers is None
            and credentials is None
            and tls is None
            and self._names_provider(model, provider)
        ):
            key = (model, provider, api_key, api_base, api_version, timeout, organization)
            try:
                found = self._remembered.get(key)
            except TypeError:  # a keyword of no hashable type (never a string): resolved each call
                key = found = None
            if found is not None:
                return found
        deployment = resolve_deployment(
            model, self._registry, self._catalog, provider=provider, api_key=api_key,
            api_base=api_base, api_version=api_version, timeout=timeout, extra_headers=extra_headers,
            organization=organization, options=credentials,
        )  # fmt: skip
        if tls is not None:  # the call's ssl_verify / ssl_certificate (sdk/keywords.py)
            deployment = msgspec.structs.replace(deployment, tls=tls)
        target = _target(model, deployment)
        if key is not None:
            if len(self._remembered) >= _MAX_REMEMBERED:
                self._remembered.clear()
            self._remembered[key] = target
        return target

    def _names_provider(self, model: str, provider: str | None) -> bool:
        """Whether the call names its provider (as core/resolve.split_model reads a model string)."""
        if provider is not None:
            return True
        head, sep, rest = model.partition("/")
        return bool(sep and rest) and head in self._registry


def _target(model: str, deployment: Deployment) -> Target:
    one = (RouterDeployment(deployment.id or deployment.qualified_model, model, deployment),)

    def group(stream: bool) -> PickRequest:
        return PickRequest(model, frozenset(), stream, _no_estimate, None, 0.0, deployments=one)

    return Target(deployment, group(False), group(True))


def _no_estimate() -> int:
    return 0
