"""What one answer costs: the catalog's (or the deployment's own) prices applied to what it used.

Every price is integer micro-USD. The `adapter` argument is the adapter already serving the call,
passed on so pricing does not resolve it again on the hot path; without it, it is looked up."""

from __future__ import annotations

from llmrelay.cost.catalog import Catalog, ModelInfo, with_prices
from llmrelay.cost.pricing import cost_micros
from llmrelay.cost.units import image_price_picos
from llmrelay.providers.base import Provider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.deployment import Deployment
from llmrelay.types.response import Usage


class Pricer:
    def __init__(self, registry: ProviderRegistry, catalog: Catalog) -> None:
        self.registry = registry
        self.catalog = catalog

    def adapter(self, deployment: Deployment) -> Provider:
        return self.registry.get(deployment.provider).for_deployment(deployment)

    def model_info(self, deployment: Deployment, adapter: Provider | None = None) -> ModelInfo | None:
        """The catalog's facts about the deployment's model; the deployment's own prices (config)
        replace the catalog's prices, all of them, so no catalog price mixes into a custom one."""
        if adapter is None:
            adapter = self.adapter(deployment)
        # the name the catalog knows the model by (an Azure deployment's `base_model`)
        info = self.catalog.get(adapter.catalog_model(deployment), deployment.provider)
        if info is None:
            fallback = adapter.catalog_fallback(deployment)
            info = self.catalog.get(fallback) if fallback else None
        if deployment.prices is not None:
            return with_prices(info, deployment.prices, deployment.provider)
        return info

    def price(self, usage: Usage | None, deployment: Deployment, adapter: Provider | None = None) -> int:
        """Tokens at the model's token prices (0 for a model the catalog does not know)."""
        if usage is None:
            return 0
        info = self.model_info(deployment, adapter)
        return cost_micros(usage, info) if info is not None else 0


class DeploymentPrices:
    """The prices of one deployment for one call (calls/prices.py's `Prices`), which an Operation
    row's price rule reads: looked up only when the rule asks. (A msgspec Struct here counted more
    instructions per call than this slotted class: ADR 0009.)"""

    __slots__ = ("adapter", "deployment", "pricer")

    def __init__(self, pricer: Pricer, deployment: Deployment, adapter: Provider) -> None:
        self.pricer = pricer
        self.deployment = deployment
        self.adapter = adapter

    def info(self) -> ModelInfo | None:
        return self.pricer.model_info(self.deployment, self.adapter)

    def tokens(self, usage: Usage | None) -> int:
        return self.pricer.price(usage, self.deployment, self.adapter)

    def per_image(self, size: str | None, quality: str | None) -> int | None:
        deployment = self.deployment
        if deployment.prices is not None:  # the deployment's own prices replace the catalog's
            return deployment.prices.per_image
        model = self.adapter.catalog_model(deployment)
        return image_price_picos(self.pricer.catalog, model, deployment.provider, size, quality)
