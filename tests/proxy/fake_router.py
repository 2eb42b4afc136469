"""A small ModelRouter for testing the HTTP layer alone: echoes the last user message."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from llmrelay.calls.call import Call
from llmrelay.calls.served import Served, attach_served
from llmrelay.core.streaming import ChatStream
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextChoice, TextCompletionRequest, TextCompletionResponse
from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import LLMError, NotFoundError
from llmrelay.types.response import (
    ChatChunk,
    ChatResponse,
    Choice,
    ChunkChoice,
    Delta,
    ResponseMessage,
    Usage,
)

# what served every answer (as the real router attaches it); each answer adds its cost
SERVED = Served(provider="openai", model="openai/fake-1", deployment_id="dep-1", model_group="gpt")


class FakeRouter:
    def __init__(self, *, chunks: int = 3, first_token_delay: float = 0.0, fail_after: int | None = None,
                 chunk_delay: float = 0.0, route_delay: float = 0.0) -> None:  # fmt: skip
        self.route_delay = route_delay
        self.groups = ["gpt", "claude"]
        self.chunks = chunks
        self.first_token_delay = first_token_delay
        self.chunk_delay = chunk_delay
        self.fail_after = fail_after
        self.calls: list[tuple[Any, dict[str, Any] | None]] = []
        self.stream_closed = asyncio.Event()  # bound lazily to the server loop on first wait
        self.closed_streams = 0
        self.callbacks: list[Any] = []

    def alias_target(self, model: str) -> str | None:
        return None

    async def count_message_tokens(
        self, model: str, body: dict[str, Any], betas: list[str] | None
    ) -> int | None:
        return None

    def _check(self, model: str) -> None:
        if model not in self.groups:
            raise NotFoundError(f"model group {model!r} not found; known: {', '.join(self.groups)}")

    async def route(self, call: Call[Any]) -> Any:
        """The gateway's one entry: by operation, as the real router; `calls` keeps each chat
        call's request and the metadata its callbacks would see."""
        name = call.operation.name
        if name == "chat":
            return await self._chat(call.request, call.context.record_metadata())
        if name == "embedding":
            return await self._embedding(call.request)
        if name == "text_completion":
            return await self._text_completion(call.request)
        raise NotFoundError(f"the fake router has no {name}")

    async def _chat(self, request: ChatRequest, metadata: dict[str, Any] | None) -> ChatResponse | ChatStream:
        self.calls.append((request, metadata))
        if self.route_delay:
            await asyncio.sleep(self.route_delay)
        self._check(request.model)
        text = "echo: " + request.messages[-1].text()
        if not request.stream:
            response = ChatResponse(
                id="chatcmpl-1", created=1, model="fake-1",
                choices=[Choice(index=0, message=ResponseMessage(content=text), finish_reason="stop")],
                usage=Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5),
            )  # fmt: skip
            attach_served(response, SERVED.with_cost(1234))
            return response
        stream = ChatStream(self._chunks(text), request, started=time.monotonic(), price=lambda u: 0)
        attach_served(stream, SERVED)
        await stream.prefetch()
        return stream

    async def _chunks(self, text: str) -> AsyncIterator[ChatChunk]:
        try:
            if self.first_token_delay:
                await asyncio.sleep(self.first_token_delay)
            for i in range(self.chunks):
                if self.fail_after is not None and i == self.fail_after:
                    raise LLMError("upstream broke mid-stream", provider="openai")
                if i and self.chunk_delay:
                    await asyncio.sleep(self.chunk_delay)
                delta = Delta(role="assistant" if i == 0 else None, content=f"{text}[{i}]")
                yield ChatChunk(
                    id="c1", created=1, model="fake-1", choices=[ChunkChoice(index=0, delta=delta)]
                )
            yield ChatChunk(id="c1", created=1, model="fake-1",
                            choices=[ChunkChoice(index=0, delta=Delta(), finish_reason="stop")])  # fmt: skip
        finally:
            self.closed_streams += 1

    async def _embedding(self, request: EmbeddingRequest) -> EmbeddingResponse:
        self._check(request.model)
        data = [EmbeddingData(index=i, embedding=[0.5, 0.25]) for i, _ in enumerate(request.texts())]
        response = EmbeddingResponse(
            data=data, model="fake-embed", usage=EmbeddingUsage(prompt_tokens=2, total_tokens=2)
        )
        attach_served(response, SERVED.with_cost(10))
        return response

    async def _text_completion(self, request: TextCompletionRequest) -> TextCompletionResponse:
        self._check(request.model)
        response = TextCompletionResponse(
            id="cmpl-1", created=1, model="fake-1",
            choices=[TextChoice(index=0, text="echo: " + str(request.prompt), finish_reason="stop")],
        )  # fmt: skip
        attach_served(response, SERVED.with_cost(5))
        return response

    def default_model(self, mode: str) -> str | None:
        return None

    def model_names(self) -> list[str]:
        return list(self.groups)

    def deployments(self, model_name: str | None = None) -> list[Any]:
        return []

    def health(self) -> list[dict[str, Any]]:
        return [{"id": "dep-1", "model_name": "gpt", "state": "healthy"},
                {"id": "dep-2", "model_name": "claude", "state": "cooling"}]  # fmt: skip

    def add_callback(self, callback: Any) -> None:
        self.callbacks.append(callback)

    async def aclose(self) -> None:
        return None
