"""CallRecords as the router builds them, for the sink tests."""

from __future__ import annotations

from typing import Any

from llmrelay.calls.principal import Principal
from llmrelay.events.record import CallRecord
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.errors import AuthenticationError, LLMError
from llmrelay.types.response import Usage


def record(*, error: LLMError | None = None, stream: bool = False, **changes: Any) -> CallRecord:
    request = ChatRequest(model="gpt-group", messages=[Message(role="user", content="the secret plan")])
    fields: dict[str, Any] = {
        "call_id": "call-1",
        "call_type": "completion",
        "model": "gpt-group",
        "model_group": "gpt-group",
        "provider": "openai",
        "deployment": "dep-1",
        "start_time": 1000.0,
        "end_time": 1000.25,
        "latency_s": 0.25,
        "stream": stream,
        "time_to_first_token_s": 0.05 if stream else None,
        "usage": None if error else Usage(prompt_tokens=11, completion_tokens=7, total_tokens=18),
        "cost_micros": 0 if error else 2500,
        "error": error,
        "metadata": {
            "request_id": "req-9",
            "endpoint": "/v1/chat/completions",
            "principal": Principal(kind="master", key_hash="h4sh"),
            "api_key": "sk-should-never-appear",
        },
        "request": request,
    }
    fields.update(changes)
    return CallRecord(**fields)


def auth_error() -> AuthenticationError:
    return AuthenticationError("Incorrect API key provided: sk-abcdef123456", code="invalid_api_key")
