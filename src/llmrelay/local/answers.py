"""The in-process server's answers in OpenAI's wire format (chat completions, completions and their
stream chunks, embeddings, errors), so the OpenAI adapter's parsers and stream decoders read them
and a gateway may relay a stream's bytes as they are."""

from __future__ import annotations

import secrets
import time

import msgspec

from llmrelay.types.http import HttpResponse

_encoder = msgspec.json.Encoder()
JSON_HEADERS = {"content-type": "application/json"}
SSE_HEADERS = {"content-type": "text/event-stream"}
DONE = b"data: [DONE]\n\n"


class UsageBody(msgspec.Struct):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AnswerId:
    """The id and creation time one answer (and each chunk of its stream) carries."""

    __slots__ = ("created", "id", "model")

    def __init__(self, prefix: str, model: str) -> None:
        self.id = f"{prefix}-{secrets.token_hex(12)}"
        self.created = int(time.time())
        self.model = model


def usage(prompt_tokens: int, completion_tokens: int) -> UsageBody:
    return UsageBody(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens)


def chat_answer(ident: AnswerId, text: str, finish_reason: str, used: UsageBody) -> bytes:
    return _encoder.encode(
        {
            "id": ident.id,
            "object": "chat.completion",
            "created": ident.created,
            "model": ident.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": used,
        }
    )


def completion_answer(ident: AnswerId, text: str, finish_reason: str, used: UsageBody) -> bytes:
    return _encoder.encode(
        {
            "id": ident.id,
            "object": "text_completion",
            "created": ident.created,
            "model": ident.model,
            "choices": [{"index": 0, "text": text, "finish_reason": finish_reason, "logprobs": None}],
            "usage": used,
        }
    )


def chat_chunk(ident: AnswerId, delta: dict[str, str], finish_reason: str | None) -> bytes:
    return _event(
        {
            "id": ident.id,
            "object": "chat.completion.chunk",
            "created": ident.created,
            "model": ident.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
    )


def completion_chunk(ident: AnswerId, text: str, finish_reason: str | None) -> bytes:
    return _event(
        {
            "id": ident.id,
            "object": "text_completion",
            "created": ident.created,
            "model": ident.model,
            "choices": [{"index": 0, "text": text, "finish_reason": finish_reason, "logprobs": None}],
        }
    )


def usage_chunk(ident: AnswerId, object_name: str, used: UsageBody) -> bytes:
    """The last event of a stream asked for usage (OpenAI's `stream_options.include_usage`)."""
    return _event(
        {
            "id": ident.id,
            "object": object_name,
            "created": ident.created,
            "model": ident.model,
            "choices": [],
            "usage": used,
        }
    )


def error_event(status: int, message: str) -> bytes:
    """An error after a stream began (OpenAI sends such an event, then closes the stream)."""
    return _event({"error": {"message": message, "type": _type(status), "code": None, "param": None}})


def embedding_answer(model: str, vectors: list[list[float]] | list[str], prompt_tokens: int) -> bytes:
    return _encoder.encode(
        {
            "object": "list",
            "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
    )


def error_response(
    status: int, message: str, *, param: str | None = None, code: str | None = None
) -> HttpResponse:
    """An OpenAI-style error answer: the adapter's classify_error maps it onto the error classes."""
    body = {"error": {"message": message, "type": _type(status), "param": param, "code": code}}
    return HttpResponse(status=status, body=_encoder.encode(body), headers=JSON_HEADERS)


def _type(status: int) -> str:
    return "invalid_request_error" if status < 500 else "server_error"


def _event(payload: object) -> bytes:
    return b"data: " + _encoder.encode(payload) + b"\n\n"
