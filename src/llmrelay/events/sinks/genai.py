"""A CallRecord as OpenTelemetry GenAI semantic-convention attributes (plus llmrelay's own), with
no OpenTelemetry import: the span's name, kind and times are the OtelSink's business.

Conventions followed: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/ (status:
development). `gen_ai.provider.name` is the current name of the provider attribute; `gen_ai.system`,
its name up to v1.36, is set too so backends reading either find it."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.events.record import CallRecord
from llmrelay.events.sinks.facts import caller_facts

# llmrelay call types → gen_ai.operation.name's predefined values
OPERATIONS = {"completion": "chat", "embedding": "embeddings", "text_completion": "text_completion"}

# llmrelay provider names → gen_ai.provider.name's well-known values; others are sent as they are
PROVIDERS = {
    "azure": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "bedrock": "aws.bedrock",
    "mistral": "mistral_ai",
    "xai": "x_ai",
    "watsonx": "ibm.watsonx.ai",
}

# request fields → gen_ai.request.* (only those a request sets)
_REQUEST_PARAMS = (
    ("temperature", "gen_ai.request.temperature"),
    ("top_p", "gen_ai.request.top_p"),
    ("top_k", "gen_ai.request.top_k"),
    ("presence_penalty", "gen_ai.request.presence_penalty"),
    ("frequency_penalty", "gen_ai.request.frequency_penalty"),
    ("seed", "gen_ai.request.seed"),
)

_json = msgspec.json.Encoder()


def operation_name(record: CallRecord) -> str:
    return OPERATIONS.get(record.call_type, record.call_type)


def span_name(record: CallRecord) -> str:
    """`{gen_ai.operation.name} {gen_ai.request.model}`, as the conventions ask."""
    return f"{operation_name(record)} {record.model}"


def provider_name(provider: str | None) -> str:
    if not provider:
        return "unknown"
    return PROVIDERS.get(provider, provider)


def span_attributes(record: CallRecord, *, log_messages: bool = False) -> dict[str, Any]:
    """The span's attributes; message contents (gen_ai.input.messages / gen_ai.output.messages,
    opt-in in the conventions) only when `log_messages`."""
    provider = provider_name(record.provider)
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": operation_name(record),
        "gen_ai.provider.name": provider,
        "gen_ai.system": provider,
        "gen_ai.request.model": record.model,
        "llmrelay.call_id": record.call_id,
        "llmrelay.stream": record.stream,
        "llmrelay.attempts": record.attempts,
        "llmrelay.cost_usd": record.cost_micros / 1_000_000,
        "llmrelay.latency_s": record.latency_s,
    }
    if record.cache_hit:
        attrs["llmrelay.cache_hit"] = True
    if record.model_group:
        attrs["llmrelay.model_group"] = record.model_group
    if record.deployment:
        attrs["llmrelay.deployment"] = record.deployment
    if record.time_to_first_token_s is not None:
        attrs["llmrelay.time_to_first_token_s"] = record.time_to_first_token_s
    _request_attributes(record.request, attrs)
    _response_attributes(record.response, attrs)
    usage = record.usage
    if usage is not None:
        attrs["gen_ai.usage.input_tokens"] = usage.prompt_tokens
        attrs["gen_ai.usage.output_tokens"] = usage.completion_tokens
        if usage.cached_tokens:
            attrs["gen_ai.usage.cache_read.input_tokens"] = usage.cached_tokens
        if usage.cache_creation_tokens:
            attrs["gen_ai.usage.cache_creation.input_tokens"] = usage.cache_creation_tokens
        if usage.reasoning_tokens:
            attrs["gen_ai.usage.reasoning.output_tokens"] = usage.reasoning_tokens
    for name, value in caller_facts(record).items():
        attrs[f"llmrelay.{name}"] = value
    error = record.error
    if error is not None:
        # low-cardinality, as the conventions ask: the error's class (RateLimitError, Timeout...)
        attrs["error.type"] = type(error).__name__
        attrs["llmrelay.error.status_code"] = error.status_code
        if error.code:
            attrs["llmrelay.error.code"] = error.code
    if log_messages:
        _content_attributes(record, attrs)
    return attrs


def _request_attributes(request: Any, attrs: dict[str, Any]) -> None:
    if request is None:
        return
    for field, name in _REQUEST_PARAMS:
        value = getattr(request, field, None)
        if isinstance(value, int | float) and not isinstance(value, bool):
            attrs[name] = value
    max_tokens = getattr(request, "max_completion_tokens", None) or getattr(request, "max_tokens", None)
    if isinstance(max_tokens, int):
        attrs["gen_ai.request.max_tokens"] = max_tokens
    n = getattr(request, "n", None)
    if isinstance(n, int) and n != 1:
        attrs["gen_ai.request.choice.count"] = n
    stop = getattr(request, "stop", None)
    if isinstance(stop, str):
        attrs["gen_ai.request.stop_sequences"] = [stop]
    elif isinstance(stop, list) and stop:
        attrs["gen_ai.request.stop_sequences"] = [str(s) for s in stop]


def _response_attributes(response: Any, attrs: dict[str, Any]) -> None:
    if response is None:
        return
    model = getattr(response, "model", None)
    if isinstance(model, str) and model:
        attrs["gen_ai.response.model"] = model
    response_id = getattr(response, "id", None)
    if isinstance(response_id, str) and response_id:
        attrs["gen_ai.response.id"] = response_id
    choices = getattr(response, "choices", None)
    if choices:
        reasons = [str(getattr(c, "finish_reason", None) or "") for c in choices]
        attrs["gen_ai.response.finish_reasons"] = reasons


def _content_attributes(record: CallRecord, attrs: dict[str, Any]) -> None:
    """Contents as the conventions' JSON message shapes (roles and typed parts), as JSON strings:
    span attributes hold no nested objects."""
    request = record.request
    messages = getattr(request, "messages", None)
    if messages is not None:
        system = [m for m in messages if m.role in ("system", "developer")]
        chat = [m for m in messages if m.role not in ("system", "developer")]
        if system:
            parts = [p for m in system for p in _parts(m.content)]
            attrs["gen_ai.system_instructions"] = _json.encode(parts).decode()
        attrs["gen_ai.input.messages"] = _json.encode([_input_message(m) for m in chat]).decode()
    else:
        prompt = getattr(request, "prompt", None)
        if prompt is not None:
            texts = [prompt] if isinstance(prompt, str) else prompt
            parts = [{"type": "text", "content": str(t)} for t in texts]
            attrs["gen_ai.input.messages"] = _json.encode([{"role": "user", "parts": parts}]).decode()
    choices = getattr(record.response, "choices", None)
    if choices:
        attrs["gen_ai.output.messages"] = _json.encode([_output_message(c) for c in choices]).decode()


def _parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = getattr(part, "type", None)
        text = getattr(part, "text", None)
        if kind == "text" and text is not None:
            parts.append({"type": "text", "content": text})
        else:
            # images, audio, files: their kind, not their bytes
            parts.append({"type": str(kind or "unknown")})
    return parts


def _tool_call_parts(tool_calls: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for call in tool_calls or ():
        function = getattr(call, "function", None)
        parts.append(
            {
                "type": "tool_call",
                "id": getattr(call, "id", None),
                "name": getattr(function, "name", None),
                "arguments": getattr(function, "arguments", None),
            }
        )
    return parts


def _input_message(message: Any) -> dict[str, Any]:
    if message.role == "tool":
        text = message.text() if hasattr(message, "text") else message.content
        part = {"type": "tool_call_response", "id": message.tool_call_id, "result": text}
        return {"role": "tool", "parts": [part]}
    parts = _parts(message.content) + _tool_call_parts(message.tool_calls)
    return {"role": message.role, "parts": parts}


def _output_message(choice: Any) -> dict[str, Any]:
    message = getattr(choice, "message", None)
    if message is None:  # a text completion's choice
        parts = _parts(getattr(choice, "text", None))
        return {"role": "assistant", "parts": parts, "finish_reason": choice.finish_reason or ""}
    parts = _parts(message.content) + _tool_call_parts(message.tool_calls)
    return {"role": message.role, "parts": parts, "finish_reason": choice.finish_reason or ""}
