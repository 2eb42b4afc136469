"""The gateway's per-call gate: an async step between authentication and the router.

`GatedRouter` wraps the gateway's ModelRouter, so every route (OpenAI, Anthropic, embeddings, text
completions, rerank, moderations, images) goes through it without a line of its own:

    pass_ = await gate.admit(principal, call)   # refuse (401/400/429) or reserve limits
    result = await router.route_*(...)
    await pass_.succeeded(usage, params)        # settle limits, record spend durably

For a stream the last step runs when the upstream stream ends, before the gateway sends the final
event, so a client that received the whole answer was billed for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import msgspec

from llmrelay.calls.context import EndUserRouting
from llmrelay.calls.principal import ANONYMOUS, Principal
from llmrelay.core.streaming import ChatStream
from llmrelay.core.text_stream import TextStream
from llmrelay.core.usage_of import image_usage, no_usage, rerank_usage
from llmrelay.proxy.protocol import ModelRouter, RouterWrapper
from llmrelay.proxy.stored_fields import check_call_fields
from llmrelay.router.regions import ROUTING_KEY
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import BadRequestError, LLMError
from llmrelay.types.image import ImageGenerationRequest, ImageResponse
from llmrelay.types.moderation import ModerationRequest, ModerationResponse
from llmrelay.types.rerank import RerankRequest, RerankResponse
from llmrelay.types.response import ChatChunk, ChatResponse, Usage, hidden_params

T = TypeVar("T")


@dataclass(slots=True)
class CallInfo:
    """What the gate knows about a call before it is made."""

    call_type: str  # "completion" | "embedding" | "text_completion" | "rerank" | "moderation" | ...
    model: str  # the model group asked for
    end_user: str | None  # the request's `user` field
    stream: bool = False
    # when `model` is an alias (router_settings.model_group_alias): the group it stands for
    alias_of: str | None = None
    started: float = field(default_factory=time.time)  # wall clock, for the spend log
    started_mono: float = field(default_factory=time.monotonic)
    # set by the gate: the end user is limited to a region (the router keeps the call there)
    routing: EndUserRouting | None = None


class Pass(Protocol):
    """An admitted call. Exactly one of the three ends it."""

    async def succeeded(self, usage: Usage | None, params: dict[str, Any]) -> None: ...

    async def failed(self, error: LLMError, usage: Usage | None, params: dict[str, Any]) -> None: ...

    def abandoned(self, usage: Usage | None, params: dict[str, Any]) -> None:
        """The caller went away (cancelled, or a stream closed early): release without waiting."""
        ...


class CallGate(Protocol):
    async def admit(self, principal: Principal, call: CallInfo) -> Pass:
        """Raise an LLMError (which says which check or limit refused) or admit the call."""
        ...


def _principal(metadata: dict[str, Any] | None) -> Principal:
    found = metadata.get("principal") if metadata else None
    return found if isinstance(found, Principal) else ANONYMOUS


class GatedRouter(RouterWrapper):
    """A ModelRouter that puts `gate` around every call of `inner`."""

    def __init__(self, inner: ModelRouter, gate: CallGate) -> None:
        super().__init__(inner)
        self.gate = gate

    async def route_chat(
        self, request: ChatRequest, *, metadata: dict[str, Any] | None = None, tags: list[str] | None = None
    ) -> ChatResponse | ChatStream:
        info = CallInfo(
            "completion", request.model, request.user, bool(request.stream), self.alias_target(request.model)
        )
        pass_ = await self._admit(info, metadata)
        if info.routing is not None:
            metadata = _routed(metadata, info.routing)
        result = await _guarded(pass_, self.inner.route_chat(request, metadata=metadata, tags=tags))
        if isinstance(result, ChatResponse):
            await pass_.succeeded(result.usage, hidden_params(result))
            return result
        return MeteredStream(result, pass_)

    async def route_embedding(
        self, request: EmbeddingRequest, *, metadata: dict[str, Any] | None = None
    ) -> EmbeddingResponse:
        info = CallInfo("embedding", request.model, request.user, alias_of=self.alias_target(request.model))
        pass_ = await self._admit(info, metadata)
        if info.routing is not None:
            metadata = _routed(metadata, info.routing)
        result = await _guarded(pass_, self.inner.route_embedding(request, metadata=metadata))
        usage = Usage(prompt_tokens=result.usage.prompt_tokens, total_tokens=result.usage.total_tokens)
        await pass_.succeeded(usage, hidden_params(result))
        return result

    async def route_text_completion(
        self, request: TextCompletionRequest, *, metadata: dict[str, Any] | None = None
    ) -> TextCompletionResponse | TextStream:
        info = CallInfo(
            "text_completion", request.model, request.user, bool(request.stream),
            self.alias_target(request.model),
        )  # fmt: skip
        pass_ = await self._admit(info, metadata)
        if info.routing is not None:
            metadata = _routed(metadata, info.routing)
        result = await _guarded(pass_, self.inner.route_text_completion(request, metadata=metadata))
        if isinstance(result, TextStream):
            return result.with_chat_stream(MeteredStream(result.chat_stream, pass_))
        await pass_.succeeded(result.usage, hidden_params(result))
        return result

    async def route_rerank(
        self, request: RerankRequest, *, metadata: dict[str, Any] | None = None
    ) -> RerankResponse:
        info = CallInfo("rerank", request.model, request.user, alias_of=self.alias_target(request.model))
        pass_ = await self._admit(info, metadata)
        result = await _guarded(pass_, self.inner.route_rerank(request, metadata=metadata))
        await pass_.succeeded(rerank_usage(result), hidden_params(result))
        return result

    async def route_moderation(
        self, request: ModerationRequest, *, metadata: dict[str, Any] | None = None
    ) -> ModerationResponse:
        # the group is settled before the gate, which checks the key may use it
        model = request.model or self._default("moderation")
        request = msgspec.structs.replace(request, model=model)
        info = CallInfo("moderation", model, None, alias_of=self.alias_target(model))
        pass_ = await self._admit(info, metadata)
        result = await _guarded(pass_, self.inner.route_moderation(request, metadata=metadata))
        await pass_.succeeded(no_usage(result), hidden_params(result))
        return result

    async def route_image_generation(
        self, request: ImageGenerationRequest, *, metadata: dict[str, Any] | None = None
    ) -> ImageResponse:
        model = request.model or self._default("image_generation")
        request = msgspec.structs.replace(request, model=model)
        info = CallInfo("image_generation", model, request.user, alias_of=self.alias_target(model))
        pass_ = await self._admit(info, metadata)
        result = await _guarded(pass_, self.inner.route_image_generation(request, metadata=metadata))
        await pass_.succeeded(image_usage(result), hidden_params(result))
        return result

    async def _admit(self, info: CallInfo, metadata: dict[str, Any] | None) -> Pass:
        # the call's stored strings are checked before anything is reserved, charged or stored
        check_call_fields(info.model, info.end_user)
        return await self.gate.admit(_principal(metadata), info)

    def _default(self, mode: str) -> str:
        model = self.default_model(mode)
        if model is None:
            raise BadRequestError(
                f"`model` is required: no configured model group serves {mode.replace('_', ' ')}",
                param="model",
            )
        return model


def _routed(metadata: dict[str, Any] | None, routing: EndUserRouting) -> dict[str, Any]:
    """The call's metadata with the end user's routing for the router (a copy: the caller's dict
    is left alone)."""
    return {**(metadata or {}), ROUTING_KEY: routing}


async def _guarded(pass_: Pass, call: Awaitable[T]) -> T:
    try:
        return await call
    except LLMError as error:
        await pass_.failed(error, None, {})
        raise
    except (asyncio.CancelledError, Exception):
        pass_.abandoned(None, {})
        raise


class MeteredStream(ChatStream):
    """A ChatStream whose end settles its Pass. ChatStream.__init__ is deliberately not run: every
    attribute not set here (usage, cost_micros, error...) is read from the wrapped stream."""

    def __init__(self, inner: ChatStream, pass_: Pass) -> None:
        self._inner = inner
        self._pass = pass_
        self._settled = False
        self.hidden_params = inner.hidden_params
        self.request = inner.request

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def relays_raw(self, dialect: str) -> bool:
        # The raw relay sends the upstream's last bytes before the stream learns it has ended, so the
        # spend could not be made durable before the client's last byte: metered streams are decoded.
        return False

    async def relay_raw(self, send: Callable[[bytes], Awaitable[object]]) -> None:
        raise RuntimeError("a metered stream is relayed chunk by chunk, never as raw bytes")

    async def __anext__(self) -> ChatChunk:
        try:
            return await self._inner.__anext__()
        except StopAsyncIteration:
            if not self._settled:
                self._settled = True
                await self._pass.succeeded(self._inner.usage, self._params())
            raise
        except LLMError as error:
            if not self._settled:
                self._settled = True
                await self._pass.failed(error, self._inner.usage, self._params())
            raise

    def _params(self) -> dict[str, Any]:
        return {**self._inner.hidden_params, "cost_micros": self._inner.cost_micros}

    async def aclose(self) -> None:
        await self._inner.aclose()
        if not self._settled:
            self._settled = True
            self._pass.abandoned(self._inner.usage, self._params())

    def response(self) -> ChatResponse:
        return self._inner.response()
