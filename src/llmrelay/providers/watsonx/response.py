"""watsonx.ai answers → OpenAI-shaped responses. The chat API answers in OpenAI's shape with
`model_id` beside `model`; text generation answers `results` with IBM's stop reasons; embeddings
answer `results[].embedding` and `input_token_count`. Errors are `{"errors": [{"code", "message"}],
"trace", "status_code"}`."""

from __future__ import annotations

import time
import uuid
from typing import Any, TypeVar

import msgspec

from llmrelay.providers.base import ErrorDetails
from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import InternalServerError
from llmrelay.types.response import ChatResponse, Choice, ChunkChoice, ResponseMessage, Usage

T = TypeVar("T")


class ChatAnswerWire(msgspec.Struct):
    id: str = ""
    model_id: str | None = None
    model: str | None = None
    created: int | None = None
    choices: list[Choice] = msgspec.field(default_factory=list)
    usage: Usage | None = None


class ChatChunkWire(msgspec.Struct):
    id: str = ""
    model_id: str | None = None
    model: str | None = None
    created: int | None = None
    choices: list[ChunkChoice] = msgspec.field(default_factory=list)
    usage: Usage | None = None


class GenerationResultWire(msgspec.Struct):
    generated_text: str = ""
    generated_token_count: int | None = None
    input_token_count: int | None = None
    stop_reason: str | None = None


class GenerationWire(msgspec.Struct):
    model_id: str | None = None
    results: list[GenerationResultWire] = msgspec.field(default_factory=list)


class _EmbeddingResultWire(msgspec.Struct):
    embedding: list[float]


class _EmbeddingsWire(msgspec.Struct):
    results: list[_EmbeddingResultWire] = msgspec.field(default_factory=list)
    input_token_count: int | None = None


class _ErrorItem(msgspec.Struct):
    code: Any = None
    message: Any = None


class _ErrorsWire(msgspec.Struct):
    errors: list[_ErrorItem] | None = None


chat_decoder = msgspec.json.Decoder(ChatAnswerWire)
chunk_decoder = msgspec.json.Decoder(ChatChunkWire)
generation_decoder = msgspec.json.Decoder(GenerationWire)
_embeddings_decoder = msgspec.json.Decoder(_EmbeddingsWire)
_errors_decoder = msgspec.json.Decoder(_ErrorsWire)

# IBM's stop reasons → OpenAI's finish_reason ("not_finished": the stream goes on)
_STOP_REASONS = {"eos_token": "stop", "stop_sequence": "stop", "cancelled": "stop", "max_tokens": "length",
                 "token_limit": "length", "time_limit": "length"}  # fmt: skip


def decode(decoder: msgspec.json.Decoder[T], body: bytes, provider: str, model: str) -> T:
    try:
        return decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(
            f"malformed response from watsonx: {exc}", provider=provider, model=model
        ) from exc


def new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def finish_reason(raw: str | None, provider: str, model: str) -> str | None:
    """OpenAI's finish_reason for an IBM stop reason or chat finish reason (None: not finished)."""
    if raw is None or raw == "not_finished":
        return None
    if raw == "error":
        raise InternalServerError(
            "watsonx stopped the generation with an error", provider=provider, model=model
        )
    return _STOP_REASONS.get(raw, raw)


def to_chat_response(body: bytes, provider: str, model: str) -> ChatResponse:
    answer = decode(chat_decoder, body, provider, model)
    for choice in answer.choices:
        choice.finish_reason = finish_reason(choice.finish_reason, provider, model) or "stop"
    return ChatResponse(
        id=answer.id or new_id(),
        created=answer.created or int(time.time()),
        model=answer.model or answer.model_id or model,
        choices=answer.choices,
        usage=answer.usage,
    )


def generation_usage(result: GenerationResultWire) -> Usage:
    prompt = result.input_token_count or 0
    completion = result.generated_token_count or 0
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def generation_response(body: bytes, provider: str, model: str) -> ChatResponse:
    answer = decode(generation_decoder, body, provider, model)
    if not answer.results:
        raise InternalServerError("watsonx answered no generation result", provider=provider, model=model)
    result = answer.results[0]
    choice = Choice(
        index=0,
        message=ResponseMessage(content=result.generated_text),
        finish_reason=finish_reason(result.stop_reason, provider, model) or "stop",
    )
    return ChatResponse(
        id=new_id(),
        created=int(time.time()),
        model=answer.model_id or model,
        choices=[choice],
        usage=generation_usage(result),
    )


def embedding_response(body: bytes, request: EmbeddingRequest, provider: str) -> EmbeddingResponse:
    answer = decode(_embeddings_decoder, body, provider, request.model)
    expected = len(request.texts())
    if len(answer.results) != expected:
        raise InternalServerError(
            f"watsonx returned {len(answer.results)} embeddings for {expected} inputs",
            provider=provider,
            model=request.model,
        )
    tokens = answer.input_token_count or 0
    return EmbeddingResponse(
        data=[EmbeddingData(index=i, embedding=r.embedding) for i, r in enumerate(answer.results)],
        model=request.model,
        usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens),
    )


def error_details(body: bytes) -> ErrorDetails | None:
    """The first of watsonx's `errors`, or None when the body is not in its shape."""
    try:
        errors = _errors_decoder.decode(body).errors
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if not errors:
        return None
    first = errors[0]
    return ErrorDetails(
        message=None if first.message is None else str(first.message),
        code=None if first.code is None else str(first.code),
    )
