"""Which upstream a file or batch goes to, as LiteLLM lets a client choose it: a `model` naming a
model group (its first OpenAI or Azure deployment), else `custom_llm_provider` (the first configured
deployment of that provider, or the provider's environment variables), else OpenAI.

A stored file or batch keeps its target as a reference ("group:<name>" or "provider:<name>") and
finds the deployment again in the config on each call: a changed key or api_base applies at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmrelay.cost.catalog import Catalog
from llmrelay.providers.files_api import FILES_PROVIDERS, FilesApi, files_api
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router.deployments import parse_model_list
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, NotFoundError, ServiceUnavailableError

DEFAULT_PROVIDER = "openai"


@dataclass(frozen=True, slots=True)
class Target:
    ref: str  # "group:<model group>" | "provider:<name>"
    deployment: Deployment

    @property
    def provider(self) -> str:
        return self.deployment.provider

    @property
    def group(self) -> str | None:
        return self.ref.removeprefix("group:") if self.ref.startswith("group:") else None


def _upstream(deployment: Deployment) -> tuple[str, str | None, str | None]:
    # one upstream account: the same provider at the same base with the same key
    return deployment.provider, deployment.api_base, deployment.api_key


class FilesTargets:
    def __init__(
        self, model_list: Sequence[Mapping[str, Any]], registry: ProviderRegistry, catalog: Catalog
    ) -> None:
        self.registry = registry
        self._groups: dict[str, list[Deployment]] = {}
        self._providers: dict[str, Deployment] = {}
        for parsed in parse_model_list(model_list, registry, catalog):
            target = parsed.target
            if target.provider not in FILES_PROVIDERS:
                continue
            self._providers.setdefault(target.provider, target)
            if not parsed.is_wildcard:
                self._groups.setdefault(parsed.model_name, []).append(target)

    def choose(self, model: str | None, provider: str | None) -> Target:
        """The target a new file goes to (400 naming the field for one that cannot be served)."""
        if model:
            deployments = self._groups.get(model)
            if not deployments:
                raise BadRequestError(
                    f"model {model!r} names no model group served by a provider with a Files API "
                    f"({', '.join(FILES_PROVIDERS)})",
                    param="model",
                )
            chosen = deployments[0]
            if provider and provider != chosen.provider:
                raise BadRequestError(
                    f"model {model!r} is served by {chosen.provider!r}, not {provider!r}",
                    param="custom_llm_provider",
                )
            return Target(f"group:{model}", chosen)
        name = provider or DEFAULT_PROVIDER
        if name not in FILES_PROVIDERS:
            raise BadRequestError(
                f"custom_llm_provider {name!r} has no Files and Batch API here (served: "
                f"{', '.join(FILES_PROVIDERS)})",
                param="custom_llm_provider",
            )
        return Target(f"provider:{name}", self._provider(name))

    def resolve(self, ref: str) -> Target:
        """The target of a stored file or batch; 503 when the config no longer has it."""
        kind, _, name = ref.partition(":")
        if kind == "group":
            deployments = self._groups.get(name)
            if deployments:
                return Target(ref, deployments[0])
        elif kind == "provider" and name in FILES_PROVIDERS:
            return Target(ref, self._provider(name))
        raise ServiceUnavailableError(
            f"the upstream of this object ({ref}) is no longer configured", code="files_target_gone"
        )

    def api(self, target: Target) -> FilesApi:
        deployment = target.deployment
        adapter = self.registry.get(deployment.provider).for_deployment(deployment)
        return files_api(adapter, deployment)

    def line_model(self, target: Target, model: str, param: str = "file") -> str | None:
        """The upstream model a batch line naming `model` is sent with: for a model group, its
        deployment on the same upstream account as `target` (400 when it has none there); None
        for a name that is no model group (sent as written)."""
        deployments = self._groups.get(model)
        if deployments is None:
            return None
        for deployment in deployments:
            if _upstream(deployment) == _upstream(target.deployment):
                return deployment.model
        raise BadRequestError(
            f"model group {model!r} has no deployment on the upstream this file goes to ({target.ref})",
            param="file",
        )

    def priced_by(
        self, target: Target, upstream_model: str, named: Sequence[str] = ()
    ) -> tuple[Deployment, str]:
        """The deployment a batch line answered by `upstream_model` is priced as (a group's, with
        its own prices, when one serves that model on the target's upstream: first among the groups
        the input file `named`), and the name its spend row shows (the group, else provider/model)."""
        groups = [*(g for g in named if g in self._groups), *self._groups]
        for group in groups:
            for deployment in self._groups[group]:
                if deployment.model == upstream_model and _upstream(deployment) == _upstream(
                    target.deployment
                ):
                    return deployment, group
        bare = Deployment(provider=target.provider, model=upstream_model)
        return bare, f"{target.provider}/{upstream_model}"

    def _provider(self, name: str) -> Deployment:
        found = self._providers.get(name)
        # none configured: the adapter reads the provider's environment variables
        return found if found is not None else Deployment(provider=name, model="")


def stored_id(value: str) -> bool:
    """Whether `value` can be one of the gateway's ids: looked up only then (a NUL or a megabyte-long
    id must not reach the database, which could not even compare it)."""
    return 0 < len(value) <= 64 and value.isascii() and value.isprintable()


def not_found(kind: str, ident: str) -> NotFoundError:
    """The answer for an object that does not exist or that the caller does not own (the same)."""
    shown = ident if len(ident) <= 100 else ident[:100] + "..."
    return NotFoundError(f"No such {kind} object: {shown}", param="id", code="not_found")
