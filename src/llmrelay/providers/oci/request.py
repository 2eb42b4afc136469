"""Canonical chat requests → OCI Generative AI `ChatDetails` bodies (`POST /20231130/actions/chat`):

    {"compartmentId", "servingMode": {"servingType": "ON_DEMAND", "modelId"} | {"DEDICATED",
     "endpointId"}, "chatRequest": {...}}

Two `chatRequest` formats, by the model's maker:

- GENERIC (Meta Llama, xAI Grok, Google Gemini, OpenAI gpt-oss... on OCI): OpenAI-like `messages`
  with upper-case roles (`SYSTEM`, `USER`, `ASSISTANT`, `TOOL`), content as parts
  (`{"type": "TEXT", "text"}`, `{"type": "IMAGE", "imageUrl": {"url"}}`), `toolCalls`
  (`{"id", "type": "FUNCTION", "name", "arguments"}`) and `toolCallId`; tools as
  `{"type": "FUNCTION", "name", "description", "parameters"}`; `maxTokens`, `temperature`, `topP`,
  `stop`, `numGenerations`, `frequencyPenalty`, `presencePenalty`, `seed`, `toolChoice`,
  `responseFormat`, `reasoningEffort`;
- COHERE (`cohere.*`): Cohere's v1 chat — the last user turn as `message`, the earlier turns as
  `chatHistory` (`USER`, `CHATBOT`, `SYSTEM`, `TOOL` with `toolResults`), system text as
  `preambleOverride`, tools as `{"name", "description", "parameterDefinitions"}`, `stopSequences`,
  `topK`; no tool choice, no n.

Both stream with `isStream` and `streamOptions: {"isIncludeUsage": true}` (the SDK's StreamOptions),
so the stream ends with the call's usage.
"""

from __future__ import annotations

import json
from typing import Any

from llmrelay.providers.oci import config
from llmrelay.types.chat import ChatRequest, ImagePart, Message, NamedToolChoice, TextPart
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError

PROVIDER = "oci"
COHERE_PREFIX = "cohere."
GENERIC_PARAMS = frozenset({
    "temperature", "top_p", "n", "stop", "max_tokens", "max_completion_tokens", "presence_penalty",
    "frequency_penalty", "seed", "tools", "tool_choice", "response_format", "reasoning_effort",
})  # fmt: skip
COHERE_PARAMS = frozenset({
    "temperature", "top_p", "top_k", "stop", "max_tokens", "max_completion_tokens", "presence_penalty",
    "frequency_penalty", "seed", "tools",
})  # fmt: skip
_ROLES = {"system": "SYSTEM", "developer": "SYSTEM", "user": "USER", "assistant": "ASSISTANT", "tool": "TOOL"}
_SAMPLING = (("temperature", "temperature"), ("top_p", "topP"), ("presence_penalty", "presencePenalty"),
             ("frequency_penalty", "frequencyPenalty"), ("seed", "seed"))  # fmt: skip


def is_cohere(model: str) -> bool:
    return model.startswith(COHERE_PREFIX)


def chat_details(request: ChatRequest, deployment: Deployment) -> dict[str, Any]:
    inner = cohere_request(request) if is_cohere(deployment.model) else generic_request(request)
    if request.extra_body:
        inner.update(request.extra_body)
    return {
        "compartmentId": config.compartment(deployment),
        "servingMode": config.serving_mode(deployment),
        "chatRequest": inner,
    }


def _common(request: ChatRequest, body: dict[str, Any]) -> None:
    for ours, theirs in _SAMPLING:
        value = getattr(request, ours)
        if value is not None:
            body[theirs] = value
    limit = request.max_output_tokens()
    if limit is not None:
        body["maxTokens"] = limit
    if request.stream:
        body["isStream"] = True
        body["streamOptions"] = {"isIncludeUsage": True}


def generic_request(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiFormat": "GENERIC",
        "messages": [_generic_message(m) for m in request.messages],
    }
    _common(request, body)
    if request.n is not None:
        body["numGenerations"] = request.n
    if request.stop is not None:
        body["stop"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    if request.tools:
        body["tools"] = [
            {"type": "FUNCTION", "name": t.function.name, "description": t.function.description or "",
             "parameters": t.function.parameters or {"type": "object", "properties": {}}}
            for t in request.tools
        ]  # fmt: skip
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice):
        body["toolChoice"] = {"type": "FUNCTION", "name": choice.function.name}
    elif choice is not None:
        body["toolChoice"] = {"type": choice.upper()}
    if request.response_format is not None:
        body["responseFormat"] = _response_format(request)
    if request.reasoning_effort is not None:
        body["reasoningEffort"] = request.reasoning_effort.upper()
    return body


def _generic_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": _ROLES.get(message.role, "")}
    if not out["role"]:
        raise BadRequestError(f"OCI takes no {message.role!r} messages", provider=PROVIDER, param="messages")
    parts = _parts(message)
    if parts:
        out["content"] = parts
    if message.tool_calls:
        out["toolCalls"] = [{"id": c.id, "type": "FUNCTION", "name": c.function.name,
                             "arguments": c.function.arguments} for c in message.tool_calls]  # fmt: skip
    if message.role == "tool":
        out["toolCallId"] = message.tool_call_id or ""
    return out


def _parts(message: Message) -> list[dict[str, Any]]:
    content = message.content
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "TEXT", "text": content}]
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            parts.append({"type": "TEXT", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append({"type": "IMAGE", "imageUrl": {"url": part.image_url.url}})
        else:
            raise BadRequestError(
                "OCI chat takes text and image content only", provider=PROVIDER, param="messages"
            )
    return parts


def _response_format(request: ChatRequest) -> dict[str, Any]:
    fmt = request.response_format
    assert fmt is not None
    if fmt.type == "json_schema" and fmt.json_schema is not None:
        return {"type": "JSON_SCHEMA", "jsonSchema": {"name": fmt.json_schema.name,
                                                      "schema": fmt.json_schema.schema or {}}}  # fmt: skip
    return {"type": "JSON_OBJECT" if fmt.type == "json_object" else "TEXT"}


def cohere_request(request: ChatRequest) -> dict[str, Any]:
    messages = request.messages
    system = [m.text() for m in messages if m.role in ("system", "developer")]
    turns = [m for m in messages if m.role not in ("system", "developer")]
    last_user = max((i for i, m in enumerate(turns) if m.role == "user"), default=None)
    if last_user is None:
        raise BadRequestError("OCI's Cohere models need a user message", provider=PROVIDER, param="messages")
    body: dict[str, Any] = {"apiFormat": "COHERE", "message": _text_only(turns[last_user])}
    history = [_cohere_turn(m, turns) for i, m in enumerate(turns) if i != last_user]
    if history:
        body["chatHistory"] = history
    if system:
        body["preambleOverride"] = "\n".join(system)
    _common(request, body)
    if request.top_k is not None:
        body["topK"] = request.top_k
    if request.stop is not None:
        body["stopSequences"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    if request.tools:
        body["tools"] = [_cohere_tool(t.function.name, t.function.description, t.function.parameters)
                         for t in request.tools]  # fmt: skip
    return body


def _text_only(message: Message) -> str:
    if isinstance(message.content, list) and any(not isinstance(p, TextPart) for p in message.content):
        raise BadRequestError(
            "OCI's Cohere models take text content only", provider=PROVIDER, param="messages"
        )
    return message.text()


def _cohere_turn(message: Message, turns: list[Message]) -> dict[str, Any]:
    if message.role == "user":
        return {"role": "USER", "message": _text_only(message)}
    if message.role == "assistant":
        turn: dict[str, Any] = {"role": "CHATBOT", "message": _text_only(message)}
        if message.tool_calls:
            turn["toolCalls"] = [{"name": c.function.name, "parameters": _arguments(c.function.arguments)}
                                 for c in message.tool_calls]  # fmt: skip
        return turn
    if message.role == "tool":
        call = _call_of(message.tool_call_id, turns)
        return {"role": "TOOL", "toolResults": [{"call": call, "outputs": [{"output": _text_only(message)}]}]}
    raise BadRequestError(f"OCI takes no {message.role!r} messages", provider=PROVIDER, param="messages")


def _call_of(call_id: str | None, turns: list[Message]) -> dict[str, Any]:
    """The tool call a Cohere tool result answers (Cohere names it by its name and parameters)."""
    for message in turns:
        for call in message.tool_calls or ():
            if call.id == call_id:
                return {"name": call.function.name, "parameters": _arguments(call.function.arguments)}
    raise BadRequestError(
        f"tool_call_id {str(call_id)[:60]!r} answers no earlier tool call",
        provider=PROVIDER,
        param="messages",
    )


def _arguments(arguments: str) -> dict[str, Any]:
    try:
        found = json.loads(arguments or "{}")
    except ValueError:
        raise BadRequestError(
            "tool call arguments are not JSON", provider=PROVIDER, param="messages"
        ) from None
    return found if isinstance(found, dict) else {}


_COHERE_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list",
                 "object": "dict"}  # fmt: skip


def _cohere_tool(name: str, description: str | None, parameters: dict[str, Any] | None) -> dict[str, Any]:
    schema = parameters or {}
    required = set(schema.get("required") or ())
    definitions = {}
    for key, spec in (schema.get("properties") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        definitions[key] = {"description": str(spec.get("description") or key),
                            "type": _COHERE_TYPES.get(str(spec.get("type")), "str"),
                            "isRequired": key in required}  # fmt: skip
    return {"name": name, "description": description or name, "parameterDefinitions": definitions}
