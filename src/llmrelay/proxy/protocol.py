"""What the gateway needs from a router. The real one is llmrelay.router.Router; tests may pass a fake.

Every proxied request goes through one of the `route_*` calls; `request.model` is the model group
the client asked for."""

from __future__ import annotations

from typing import Any, Protocol

from llmrelay.core.streaming import ChatStream
from llmrelay.core.text_stream import TextStream
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.image import ImageGenerationRequest, ImageResponse
from llmrelay.types.moderation import ModerationRequest, ModerationResponse
from llmrelay.types.rerank import RerankRequest, RerankResponse
from llmrelay.types.response import ChatResponse


class ModelRouter(Protocol):
    async def route_chat(
        self, request: ChatRequest, *, metadata: dict[str, Any] | None = None, tags: list[str] | None = None
    ) -> ChatResponse | ChatStream: ...

    async def route_embedding(
        self, request: EmbeddingRequest, *, metadata: dict[str, Any] | None = None
    ) -> EmbeddingResponse: ...

    async def route_text_completion(
        self, request: TextCompletionRequest, *, metadata: dict[str, Any] | None = None
    ) -> TextCompletionResponse | TextStream: ...

    async def route_rerank(
        self, request: RerankRequest, *, metadata: dict[str, Any] | None = None
    ) -> RerankResponse: ...

    async def route_moderation(
        self, request: ModerationRequest, *, metadata: dict[str, Any] | None = None
    ) -> ModerationResponse: ...

    async def route_image_generation(
        self, request: ImageGenerationRequest, *, metadata: dict[str, Any] | None = None
    ) -> ImageResponse: ...

    def default_model(self, mode: str) -> str | None:
        """The group a call of `mode` ("moderation", "image_generation") that names no model goes to."""
        ...

    def model_names(self) -> list[str]: ...

    def alias_target(self, model: str) -> str | None:
        """The model group an alias (router_settings.model_group_alias) stands for, or None."""
        ...

    def deployments(self, model_name: str | None = None) -> list[Any]: ...

    async def count_message_tokens(
        self, model: str, body: dict[str, Any], betas: list[str] | None
    ) -> int | None:
        """The provider's own input-token count of an Anthropic Messages body, or None to estimate."""

    def health(self) -> list[dict[str, Any]]: ...

    def add_callback(self, callback: Any) -> None: ...

    async def aclose(self) -> None: ...


class RouterWrapper:
    """A ModelRouter around another (the key gate, the response cache): a subclass defines the
    route_* calls it changes; everything else is the inner router's."""

    def __init__(self, inner: ModelRouter) -> None:
        self.inner = inner

    async def route_rerank(
        self, request: RerankRequest, *, metadata: dict[str, Any] | None = None
    ) -> RerankResponse:
        return await self.inner.route_rerank(request, metadata=metadata)

    async def route_moderation(
        self, request: ModerationRequest, *, metadata: dict[str, Any] | None = None
    ) -> ModerationResponse:
        return await self.inner.route_moderation(request, metadata=metadata)

    async def route_image_generation(
        self, request: ImageGenerationRequest, *, metadata: dict[str, Any] | None = None
    ) -> ImageResponse:
        return await self.inner.route_image_generation(request, metadata=metadata)

    def default_model(self, mode: str) -> str | None:
        return self.inner.default_model(mode)

    def model_names(self) -> list[str]:
        return self.inner.model_names()

    def alias_target(self, model: str) -> str | None:
        return self.inner.alias_target(model)

    async def count_message_tokens(
        self, model: str, body: dict[str, Any], betas: list[str] | None
    ) -> int | None:
        return await self.inner.count_message_tokens(model, body, betas)

    def deployments(self, model_name: str | None = None) -> list[Any]:
        return self.inner.deployments(model_name)

    def health(self) -> list[dict[str, Any]]:
        return self.inner.health()

    def add_callback(self, callback: Any) -> None:
        self.inner.add_callback(callback)

    async def aclose(self) -> None:
        await self.inner.aclose()
