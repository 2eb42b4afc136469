"""What one answer costs: the catalog's (or the deployment's own) prices applied to what it used.

Every price is integer micro-USD. The `adapter` argument is the adapter already serving the call,
passed on so pricing does not resolve it again on the hot path; without it, it is looked up."""

from __future__ import annotations

from llmrelay.cost.catalog import Catalog, ModelInfo, with_prices
from llmrelay.cost.pricing import cost_micros, picos_to_micros
from llmrelay.cost.tokens import count_text
from llmrelay.cost.units import image_price_picos, rerank_cost_micros
from llmrelay.providers.base import Provider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.deployment import Deployment
from llmrelay.types.image import ImageGenerationRequest, ImageResponse
from llmrelay.types.moderation import ModerationRequest
from llmrelay.types.rerank import RerankResponse
from llmrelay.types.response import Usage
from llmrelay.types.speech import SpeechRequest


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

    def rerank(self, response: RerankResponse, deployment: Deployment, adapter: Provider) -> int:
        info = self.model_info(deployment, adapter)
        if info is None:
            return 0
        return rerank_cost_micros(info, response.search_units(), response.input_tokens())

    def images(
        self,
        response: ImageResponse,
        request: ImageGenerationRequest,
        deployment: Deployment,
        adapter: Provider,
    ) -> int:
        """Per image at the call's size and quality; else the model's token prices on the reported
        usage (gpt-image models report one)."""
        if deployment.prices is not None:  # the deployment's own prices replace the catalog's
            each = deployment.prices.per_image
        else:
            model = adapter.catalog_model(deployment)
            each = image_price_picos(self.catalog, model, deployment.provider, request.size, request.quality)
        if each is not None:
            return picos_to_micros(each * len(response.data))
        usage = response.usage
        if usage is None:
            return 0
        tokens = Usage(
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
        )
        return self.price(tokens, deployment, adapter)

    def moderation(self, request: ModerationRequest, deployment: Deployment, adapter: Provider) -> int:
        """Free at OpenAI; a price registered for the model applies to the input's text tokens."""
        info = self.model_info(deployment, adapter)
        if info is None or not info.input:
            return 0
        tokens = sum(count_text(text) for text in request.texts())
        return cost_micros(Usage(prompt_tokens=tokens, total_tokens=tokens), info)

    def speech(self, request: SpeechRequest, deployment: Deployment, adapter: Provider) -> int:
        """Per input character (tts-1, tts-1-hd); a model priced per token (gpt-4o-mini-tts) at its
        input price on the input's text tokens. The answer is audio with no usage, so nothing of the
        output is priced."""
        info = self.model_info(deployment, adapter)
        if info is None:
            return 0
        if info.per_character is not None:
            return picos_to_micros(info.per_character * len(request.input))
        if not info.input:
            return 0
        tokens = count_text(request.input)
        return cost_micros(Usage(prompt_tokens=tokens, total_tokens=tokens), info)
