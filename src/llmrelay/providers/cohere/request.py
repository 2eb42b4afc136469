"""ChatRequest → the body of a Cohere v2 `/v2/chat` call.

Parameter mapping (OpenAI → Cohere v2): max_tokens / max_completion_tokens → max_tokens, top_p → p,
top_k → k, stop → stop_sequences, temperature, seed, frequency_penalty and presence_penalty as they
are; tool_choice "required" → REQUIRED, "none" → NONE, "auto" → left out (Cohere's default); a named
tool choice has no Cohere spelling, so the tools are narrowed to that one and the call is REQUIRED.
response_format json_object / json_schema → {"type": "json_object", "json_schema"?}. A tool's
`strict: true` asks for `strict_tools` (Cohere's switch covers all tools of the call). Reasoning:
Anthropic-style `thinking` {"type": "enabled", "budget_tokens": N} → {"type": "enabled",
"token_budget": N}; reasoning_effort "none" → {"type": "disabled"}, any other effort → enabled with
the model's own budget (Cohere takes a token budget, not levels).
"""

from __future__ import annotations

from typing import Any

from llmrelay.providers.cohere.messages import build_messages
from llmrelay.types.chat import ChatRequest, NamedToolChoice, Tool
from llmrelay.types.errors import BadRequestError

_TOOL_CHOICES = {"required": "REQUIRED", "none": "NONE"}


def build_body(request: ChatRequest, model: str, provider: str) -> dict[str, Any]:
    if not request.messages:
        raise BadRequestError("Cohere needs at least one message", provider=provider, param="messages")
    body: dict[str, Any] = {"model": model, "messages": build_messages(request.messages, provider)}
    tools = _tools(request, provider)
    if tools is not None:
        body["tools"] = [_tool(t) for t in tools]
        if any(t.function.strict for t in tools):
            body["strict_tools"] = True
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice):
        body["tool_choice"] = "REQUIRED"
    elif choice in _TOOL_CHOICES:
        body["tool_choice"] = _TOOL_CHOICES[choice]
    _set(body, "max_tokens", request.max_output_tokens())
    _set(body, "temperature", request.temperature)
    _set(body, "p", request.top_p)
    _set(body, "k", request.top_k)
    _set(body, "seed", request.seed)
    _set(body, "frequency_penalty", request.frequency_penalty)
    _set(body, "presence_penalty", request.presence_penalty)
    if request.stop is not None:
        body["stop_sequences"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    response_format = _response_format(request)
    if response_format is not None:
        body["response_format"] = response_format
    thinking = _thinking(request)
    if thinking is not None:
        body["thinking"] = thinking
    if request.stream:
        body["stream"] = True
    if request.extra_body:
        body.update(request.extra_body)
    return body


def _set(body: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        body[key] = value


def _tools(request: ChatRequest, provider: str) -> list[Tool] | None:
    tools = request.tools
    choice = request.tool_choice
    if not isinstance(choice, NamedToolChoice):
        return tools or None
    named = [t for t in tools or () if t.function.name == choice.function.name]
    if not named:
        raise BadRequestError(
            f"tool_choice names {choice.function.name!r}, which is not among the request's tools",
            provider=provider,
            param="tool_choice",
        )
    return named


def _tool(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.function.name}
    if tool.function.description:
        function["description"] = tool.function.description
    # Cohere requires a JSON schema for every function; a function without arguments takes none
    function["parameters"] = tool.function.parameters or {"type": "object", "properties": {}}
    return {"type": "function", "function": function}


def _response_format(request: ChatRequest) -> dict[str, Any] | None:
    fmt = request.response_format
    if fmt is None or fmt.type == "text":
        return None
    out: dict[str, Any] = {"type": "json_object"}
    if fmt.type == "json_schema" and fmt.json_schema is not None and fmt.json_schema.schema:
        out["json_schema"] = fmt.json_schema.schema
    return out


def _thinking(request: ChatRequest) -> dict[str, Any] | None:
    thinking = request.thinking
    if thinking is not None:
        if thinking.get("type") == "disabled":
            return {"type": "disabled"}
        out: dict[str, Any] = {"type": "enabled"}
        budget = thinking.get("budget_tokens", thinking.get("token_budget"))
        if isinstance(budget, int):
            out["token_budget"] = budget
        return out
    effort = request.reasoning_effort
    if effort is None:
        return None
    return {"type": "disabled"} if effort == "none" else {"type": "enabled"}
