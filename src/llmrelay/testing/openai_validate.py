"""The checks OpenAI's chat endpoint makes before answering, with its own error messages (and the few
Azure OpenAI adds on its deployment routes)."""

from __future__ import annotations

import re
from typing import Any

from llmrelay.testing import content as c
from llmrelay.testing.base import Call, ProviderError, encode_json

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


def require_model(body: Any) -> str:
    if not isinstance(body, dict):
        raise ProviderError(400, "The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ProviderError(400, "you must provide a model parameter", param="model")
    return model


def message_text(message: dict[str, Any]) -> str:
    """The text of a message: its string content, or its text parts joined."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def prompt_tokens_of(body: dict[str, Any]) -> int:
    """Prompt tokens as the simulator counts them: message texts plus a few per message, and the
    tool definitions."""
    tokens = 3
    for message in body["messages"]:
        tokens += 4 + c.count_tokens(message_text(message))
        for call in message.get("tool_calls") or ():
            tokens += c.count_tokens(encode_json(call).decode())
    if body.get("tools"):
        tokens += c.count_tokens(encode_json(body["tools"]).decode())
    return tokens


def check_chat_request(body: Any) -> None:
    require_model(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ProviderError(400, "[] is too short - 'messages'", param="messages")
    _check_messages(messages)
    if body.get("stream_options") is not None and not body.get("stream"):
        raise ProviderError(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
        )
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        raise ProviderError(
            400, f"Invalid 'temperature': {temperature} is not between 0 and 2.", param="temperature"
        )
    n = body.get("n")
    if n is not None and not 1 <= n <= 128:
        raise ProviderError(400, f"Invalid 'n': {n} is not between 1 and 128.", param="n")
    if body.get("tool_choice") is not None and not body.get("tools"):
        raise ProviderError(
            400,
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            param="tool_choice",
        )
    _check_tools(body.get("tools"))
    fmt = body.get("response_format")
    wants_json = isinstance(fmt, dict) and fmt.get("type") == "json_object"
    if wants_json and not any("json" in message_text(m).lower() for m in messages):
        raise ProviderError(
            400,
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
            "'json_object'.",
            param="messages",
        )


def _check_messages(messages: list[Any]) -> None:
    pending: set[str] = set()  # tool_call ids of the last assistant turn not yet answered
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            role = message.get("role") if isinstance(message, dict) else None
            raise ProviderError(
                400,
                f"Invalid value: {role!r}. Supported values are: 'system', 'assistant', 'user', "
                "'function', 'tool', and 'developer'.",
                param=f"messages[{i}].role",
            )
        role = message["role"]
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                raise ProviderError(
                    400,
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                    "message with 'tool_calls'.",
                    param=f"messages[{i}].role",
                )
            pending.discard(call_id)
            continue
        if pending:
            raise ProviderError(
                400,
                "An assistant message with 'tool_calls' must be followed by tool messages responding to "
                f"each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                f"{', '.join(sorted(pending))}",
                param="messages",
            )
        if role == "assistant":
            pending = {str(tc.get("id")) for tc in message.get("tool_calls") or () if isinstance(tc, dict)}
        elif message.get("content") is None:
            raise ProviderError(
                400,
                "Invalid value for 'content': expected a string, got null.",
                param=f"messages[{i}].content",
            )
    if pending:
        raise ProviderError(
            400,
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: "
            f"{', '.join(sorted(pending))}",
            param="messages",
        )


def _check_tools(tools: Any) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise ProviderError(400, "Invalid type for 'tools': expected an array.", param="tools")
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not fn.get("name"):
            raise ProviderError(
                400, f"Missing required parameter: 'tools[{i}].function.name'.", param=f"tools[{i}].function"
            )


# ---- Azure OpenAI: the same bodies under /openai/deployments/{deployment}/..., versioned by query
AZURE_STREAM_OPTIONS_SINCE = "2024-09-01"
_AZURE_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")


def azure_body(call: Call) -> dict[str, Any]:
    """The body an Azure deployment route answers, after Azure's own checks: a dated `api-version`
    (missing → 404, as Azure answers), `stream_options` only from 2024-09-01 on. The deployment in
    the URL decides the model; a `model` in the body is ignored."""
    version = call.query.get("api-version")
    if not version:
        raise ProviderError(404, "Resource not found", code="404")
    if not _AZURE_VERSION.fullmatch(version):
        raise ProviderError(400, "API version not supported", code="BadRequest")
    body = call.body
    if not isinstance(body, dict):
        raise ProviderError(400, "The request body must be a JSON object.")
    if body.get("stream_options") is not None and version[:10] < AZURE_STREAM_OPTIONS_SINCE:
        raise ProviderError(400, "Unrecognized request argument supplied: stream_options")
    return {**body, "model": call.match["deployment"]}
