"""A cached chat answer handed to a caller who asked for a stream: the same answer as chunks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from llmrelay.calls.served import attach_served, served_of
from llmrelay.core.streaming import ChatStream
from llmrelay.types.chat import ChatRequest
from llmrelay.types.response import (
    ChatChunk,
    ChatResponse,
    ChunkChoice,
    Delta,
    ToolCallDelta,
    ToolCallDeltaFunction,
    Usage,
)


def chunks_of_response(response: ChatResponse) -> list[ChatChunk]:
    """One chunk per choice holding its whole message, then a usage-only chunk (when known)."""

    def chunk(choices: list[ChunkChoice], usage: Usage | None = None) -> ChatChunk:
        return ChatChunk(
            id=response.id,
            created=response.created,
            model=response.model,
            choices=choices,
            usage=usage,
            system_fingerprint=response.system_fingerprint,
        )

    out = []
    for choice in response.choices:
        message = choice.message
        tool_calls = [
            ToolCallDelta(
                index=i, id=call.id, type=call.type,
                function=ToolCallDeltaFunction(name=call.function.name, arguments=call.function.arguments),
            )
            for i, call in enumerate(message.tool_calls or ())
        ]  # fmt: skip
        delta = Delta(
            role=message.role,
            content=message.content,
            tool_calls=tool_calls or None,
            reasoning_content=message.reasoning_content,
            thinking_blocks=message.thinking_blocks,
            refusal=message.refusal,
        )
        out.append(chunk([ChunkChoice(index=choice.index, delta=delta, finish_reason=choice.finish_reason,
                                      logprobs=choice.logprobs)]))  # fmt: skip
    if response.usage is not None:
        out.append(chunk([], response.usage))
    return out


async def stream_of_response(response: ChatResponse, request: ChatRequest) -> ChatStream:
    """A prefetched ChatStream replaying `response` (priced as the response says: a cache hit, 0)."""
    chunks = chunks_of_response(response)

    async def source() -> AsyncIterator[ChatChunk]:
        for item in chunks:
            yield item

    served = served_of(response)
    cost = served.cost_micros
    stream = ChatStream(source(), request, started=time.monotonic(), price=lambda _: cost)
    attach_served(stream, served)
    await stream.prefetch()
    return stream
