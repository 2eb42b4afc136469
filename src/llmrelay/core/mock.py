"""`mock_response=`: answers shaped exactly like real ones, without a network, for users' own tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

from llmrelay.types.chat import ChatRequest
from llmrelay.types.response import (
    ChatChunk,
    ChatResponse,
    Choice,
    ChunkChoice,
    Delta,
    ResponseMessage,
    Usage,
)


def mock_content(mock: str | ChatResponse) -> str:
    """The text a mock answers with: the string itself, or a given response's first message."""
    if isinstance(mock, ChatResponse):
        return (mock.choices[0].message.content or "") if mock.choices else ""
    if not isinstance(mock, str):
        raise TypeError(
            f"mock_response must be a str, a ChatResponse or an exception, not {type(mock).__name__}"
        )
    return mock


def _estimate_tokens(text: str) -> int:
    # ~4 characters a token: mock usage needs to be plausible, not exact
    return max(1, (len(text) + 3) // 4)


def mock_usage(request: ChatRequest, content: str) -> Usage:
    prompt = sum(_estimate_tokens(m.text()) + 4 for m in request.messages)
    completion = _estimate_tokens(content)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def mock_chat_response(request: ChatRequest, content: str) -> ChatResponse:
    return ChatResponse(
        id=f"chatcmpl-mock-{uuid.uuid4().hex[:24]}",
        created=int(time.time()),
        model=request.model,
        choices=[Choice(index=0, message=ResponseMessage(content=content), finish_reason="stop")],
        usage=mock_usage(request, content),
    )


async def mock_chat_chunks(request: ChatRequest, content: str) -> AsyncIterator[ChatChunk]:
    chunk_id = f"chatcmpl-mock-{uuid.uuid4().hex[:24]}"
    created = int(time.time())

    def chunk(delta: Delta, finish: str | None = None) -> ChatChunk:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish)
        return ChatChunk(id=chunk_id, created=created, model=request.model, choices=[choice])

    yield chunk(Delta(role="assistant", content=""))
    words = content.split(" ")
    for i, word in enumerate(words):
        yield chunk(Delta(content=word if i == 0 else " " + word))
    yield chunk(Delta(), "stop")
    yield ChatChunk(
        id=chunk_id, created=created, model=request.model, choices=[], usage=mock_usage(request, content)
    )
