"""The checks Cohere's v2 API makes on /v2/chat and /v2/embed requests.

Cohere rejects fields it does not know ("invalid request: unknown field: parameter X is not a valid
field"), a classic sign of an adapter sending another provider's dialect (top_p, stop, n,
stream_options...), so the simulator does too.
"""

from __future__ import annotations

from typing import Any

from llmrelay.testing.base import ProviderError

CHAT_FIELDS = frozenset(
    {"model", "messages", "tools", "strict_tools", "documents", "citation_options", "response_format",
     "safety_mode", "max_tokens", "stop_sequences", "temperature", "seed", "frequency_penalty",
     "presence_penalty", "k", "p", "logprobs", "tool_choice", "thinking", "stream", "priority"}
)  # fmt: skip
EMBED_FIELDS = frozenset(
    {"model", "texts", "images", "inputs", "input_type", "embedding_types", "output_dimension",
     "max_tokens", "truncate", "priority"}
)  # fmt: skip
RERANK_FIELDS = frozenset({"model", "query", "documents", "top_n", "max_tokens_per_doc", "priority"})
ROLES = frozenset({"system", "user", "assistant", "tool"})
INPUT_TYPES = frozenset({"search_document", "search_query", "classification", "clustering", "image"})
EMBEDDING_TYPES = frozenset({"float", "int8", "uint8", "binary", "ubinary", "base64"})
TOOL_CHOICES = frozenset({"REQUIRED", "NONE"})


def invalid(message: str) -> ProviderError:
    return ProviderError(400, f"invalid request: {message}")


def _unknown(body: dict[str, Any], allowed: frozenset[str]) -> None:
    for key in body:
        if key not in allowed:
            raise invalid(f"unknown field: parameter {key} is not a valid field")


def _range(body: dict[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise invalid(f"{name} must be between {low:g} and {high:g} inclusive.")


def text_of(content: Any) -> str:
    """A message's text: a string, or the text of its `text` blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def check_chat_request(body: Any) -> None:
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object")
    _unknown(body, CHAT_FIELDS)
    if not body.get("model"):
        raise invalid("model is required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages must not be empty")
    _check_messages(messages)
    tools = body.get("tools")
    if tools is not None:
        _check_tools(tools)
    choice = body.get("tool_choice")
    if choice is not None:
        if choice not in TOOL_CHOICES:
            raise invalid("tool_choice must be one of REQUIRED, NONE")
        if not tools:
            raise invalid("tool_choice requires tools to be specified")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise invalid("stream must be a boolean")
    _range(body, "temperature", 0, 5)
    _range(body, "p", 0.01, 0.99)
    _range(body, "k", 0, 500)
    _range(body, "frequency_penalty", 0, 1)
    _range(body, "presence_penalty", 0, 1)
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise invalid("max_tokens must be a positive integer")
    stops = body.get("stop_sequences")
    if stops is not None and (not isinstance(stops, list) or len(stops) > 5):
        raise invalid("stop_sequences must be a list of at most 5 strings")
    fmt = body.get("response_format")
    if fmt is not None:
        if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object"):
            raise invalid("response_format.type must be one of text, json_object")
        if fmt.get("type") == "text" and "json_schema" in fmt:
            raise invalid("response_format.json_schema must not be set when type is text")
    thinking = body.get("thinking")
    if thinking is not None and (
        not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled")
    ):
        raise invalid("thinking.type must be one of enabled, disabled")


def _check_messages(messages: list[Any]) -> None:
    pending: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise invalid(f"messages[{i}].role must be one of system, user, assistant, tool")
        role = message["role"]
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not call_id:
                raise invalid(f"messages[{i}].tool_call_id is required for tool messages")
            if call_id not in pending:
                raise invalid(f"messages[{i}]: tool_call_id {call_id} does not match a preceding tool call")
            if "content" not in message:
                raise invalid(f"messages[{i}].content is required")
            continue
        if role == "assistant":
            calls = message.get("tool_calls") or []
            if not calls and "content" not in message:
                raise invalid(f"messages[{i}]: an assistant message needs content or tool_calls")
            for call in calls:
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict) or not function.get("name") or not call.get("id"):
                    raise invalid(f"messages[{i}].tool_calls: each call needs an id and function.name")
            pending = {call["id"] for call in calls}
            _check_blocks(i, message.get("content"), ("text", "thinking"))
            continue
        if "content" not in message:
            raise invalid(f"messages[{i}].content is required")
        _check_blocks(i, message["content"], ("text", "image_url") if role == "user" else ("text",))


def _check_blocks(i: int, content: Any, allowed: tuple[str, ...]) -> None:
    if content is None or isinstance(content, str):
        return
    if not isinstance(content, list):
        raise invalid(f"messages[{i}].content must be a string or a list of content blocks")
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in allowed:
            raise invalid(f"messages[{i}].content: block type {kind!r} is not one of {', '.join(allowed)}")


def _check_tools(tools: Any) -> None:
    if not isinstance(tools, list):
        raise invalid("tools must be a list")
    for j, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(function, dict):
            raise invalid(f"tools[{j}] must be {{'type': 'function', 'function': {{...}}}}")
        if not function.get("name"):
            raise invalid(f"tools[{j}].function.name is required")


def check_embed_request(body: Any) -> None:
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object")
    _unknown(body, EMBED_FIELDS)
    if not body.get("model"):
        raise invalid("model is required")
    texts = body.get("texts")
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise invalid("texts must be a non-empty list of strings")
    if len(texts) > 96:
        raise invalid(f"texts can contain at most 96 elements, got {len(texts)}")
    if body.get("input_type") not in INPUT_TYPES:
        raise invalid("valid input_type must be provided with the provided model")
    types = body.get("embedding_types")
    if not isinstance(types, list) or not types or any(t not in EMBEDDING_TYPES for t in types):
        raise invalid(
            "embedding_types is required: one or more of float, int8, uint8, binary, ubinary, base64"
        )


def check_rerank_request(body: Any) -> None:
    """v2 rerank: documents are strings (objects were v1's), top_n at least 1."""
    if not isinstance(body, dict):
        raise invalid("body must be a JSON object")
    _unknown(body, RERANK_FIELDS)
    for name in ("model", "query"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise invalid(f"{name} is required and must be a string")
    documents = body.get("documents")
    if not isinstance(documents, list) or not documents:
        raise invalid("documents must be a non-empty list")
    if not all(isinstance(d, str) for d in documents):
        raise invalid("documents must be a list of strings")
    top_n = body.get("top_n")
    if top_n is not None and (not isinstance(top_n, int) or top_n < 1):
        raise invalid("top_n must be a positive integer")
