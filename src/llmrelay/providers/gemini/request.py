"""ChatRequest → the body of a Gemini `generateContent` / `streamGenerateContent` call."""

from __future__ import annotations

from typing import Any

from llmrelay.providers.gemini.messages import build_contents
from llmrelay.providers.gemini.schema import has_properties, to_gemini_schema
from llmrelay.types.chat import ChatRequest, NamedToolChoice
from llmrelay.types.errors import BadRequestError

# reasoning_effort → thinkingBudget (tokens) for budget-controlled models (Gemini 2.5). 512 is the
# smallest budget every 2.5 model accepts (Flash-Lite's floor); 24576 is the largest 2.5 Flash accepts.
THINKING_BUDGETS: dict[str, int] = {
    "minimal": 512,
    "low": 1024,
    "medium": 8192,
    "high": 24576,
    "xhigh": 24576,
}
# reasoning_effort → thinkingLevel for level-controlled models (Gemini 3 and later), which take
# "low" or "high" on every model of the family.
THINKING_LEVELS: dict[str, str] = {
    "minimal": "low",
    "low": "low",
    "medium": "high",
    "high": "high",
    "xhigh": "high",
}

_TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def build_body(request: ChatRequest, model: str, *, response_json_schema: bool = False) -> dict[str, Any]:
    system, contents = build_contents(request.messages)
    if not contents:
        raise BadRequestError(
            "Gemini needs at least one user or assistant message besides system messages",
            provider="gemini",
            param="messages",
        )
    body: dict[str, Any] = {"contents": contents}
    if system is not None:
        body["systemInstruction"] = system
    if request.tools:
        body["tools"] = [{"functionDeclarations": [_declaration(t.function) for t in request.tools]}]
    tool_config = _tool_config(request)
    if tool_config is not None:
        body["toolConfig"] = tool_config
    config = _generation_config(request, model, response_json_schema)
    if config:
        body["generationConfig"] = config
    if request.extra_body:
        _deep_merge(body, request.extra_body)
    return body


def _declaration(function: Any) -> dict[str, Any]:
    declaration: dict[str, Any] = {"name": function.name}
    if function.description:
        declaration["description"] = function.description
    if function.parameters:
        parameters = to_gemini_schema(function.parameters)
        # Gemini rejects an OBJECT without properties; a function without arguments omits them
        if has_properties(parameters) or parameters.get("type") not in (None, "OBJECT"):
            declaration["parameters"] = parameters
    return declaration


def _tool_config(request: ChatRequest) -> dict[str, Any] | None:
    choice = request.tool_choice
    if choice is None:
        return None
    if isinstance(choice, NamedToolChoice):
        config = {"mode": "ANY", "allowedFunctionNames": [choice.function.name]}
    else:
        config = {"mode": _TOOL_MODES[choice]}
    return {"functionCallingConfig": config}


def _generation_config(request: ChatRequest, model: str, response_json_schema: bool) -> dict[str, Any]:
    config: dict[str, Any] = {}
    _set(config, "temperature", request.temperature)
    _set(config, "topP", request.top_p)
    _set(config, "topK", request.top_k)
    _set(config, "candidateCount", request.n)
    _set(config, "maxOutputTokens", request.max_output_tokens())
    _set(config, "seed", request.seed)
    _set(config, "presencePenalty", request.presence_penalty)
    _set(config, "frequencyPenalty", request.frequency_penalty)
    if request.stop is not None:
        config["stopSequences"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    if request.logprobs:
        config["responseLogprobs"] = True
    if request.top_logprobs is not None:
        config["responseLogprobs"] = True
        config["logprobs"] = request.top_logprobs
    _response_format(request, config, response_json_schema)
    thinking = _thinking_config(request, model)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def _set(config: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        config[key] = value


def _response_format(request: ChatRequest, config: dict[str, Any], json_schema_field: bool) -> None:
    fmt = request.response_format
    if fmt is None or fmt.type == "text":
        return
    config["responseMimeType"] = "application/json"
    if fmt.type == "json_schema" and fmt.json_schema is not None and fmt.json_schema.schema:
        if json_schema_field:
            # Gemini 2.5+ takes standard JSON Schema here, unchanged
            config["responseJsonSchema"] = fmt.json_schema.schema
        else:
            config["responseSchema"] = to_gemini_schema(fmt.json_schema.schema)


def uses_thinking_level(model: str) -> bool:
    """Gemini 3 and later steer thinking by level; earlier thinking models by token budget."""
    bare = model.rsplit("/", 1)[-1]
    if not bare.startswith("gemini-"):
        return False
    major = bare[len("gemini-") :].split(".", 1)[0].split("-", 1)[0]
    return major.isdigit() and int(major) >= 3


def _thinking_config(request: ChatRequest, model: str) -> dict[str, Any] | None:
    thinking = request.thinking
    if thinking is not None:
        # Anthropic's shape: {"type": "enabled", "budget_tokens": N} or {"type": "disabled"}
        if thinking.get("type") == "disabled":
            return {"thinkingBudget": 0}
        budget = thinking.get("budget_tokens")
        config: dict[str, Any] = {"includeThoughts": True}
        if isinstance(budget, int):
            config["thinkingBudget"] = budget
        return config
    effort = request.reasoning_effort
    if effort is None:
        return None
    if effort == "none":
        # Gemini 3 cannot switch thinking off; its lowest level is the nearest
        return {"thinkingLevel": "low"} if uses_thinking_level(model) else {"thinkingBudget": 0}
    if uses_thinking_level(model):
        return {"thinkingLevel": THINKING_LEVELS[effort], "includeThoughts": True}
    return {"thinkingBudget": THINKING_BUDGETS[effort], "includeThoughts": True}


def _deep_merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    """extra_body wins, but nested objects (generationConfig, toolConfig...) are merged key by key, so
    extra_body={"generationConfig": {"responseModalities": [...]}} keeps the mapped settings."""
    for key, value in extra.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged = dict(current)
            _deep_merge(merged, value)
            target[key] = merged
        else:
            target[key] = value
