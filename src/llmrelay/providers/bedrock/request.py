"""ChatRequest → a Converse / ConverseStream request body.

Common knobs go to `inferenceConfig` (maxTokens, temperature, topP, stopSequences); knobs of one model
family go to `additionalModelRequestFields` (top_k; Anthropic's `thinking`). `extra_body` keys that
name a Converse field (guardrailConfig, performanceConfig, ...) are merged into the body; any other
key is a model-specific field and goes to `additionalModelRequestFields`, as LiteLLM does.
The model id travels in the URL, not in the body.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.bedrock.messages import CACHE_POINT, build_messages
from llmrelay.types.chat import ChatRequest, NamedToolChoice, ResponseFormat, Tool
from llmrelay.types.errors import BadRequestError

PROVIDER = "bedrock"
# top-level Converse request fields a caller may set through extra_body
CONVERSE_FIELDS = frozenset(
    {
        "guardrailConfig", "additionalModelRequestFields", "additionalModelResponseFieldPaths",
        "promptVariables", "requestMetadata", "performanceConfig", "serviceTier", "outputConfig",
    }
)  # fmt: skip
# reasoning_effort → Anthropic thinking budget (tokens)
THINKING_BUDGETS = {"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096, "xhigh": 8192}
_EMPTY_SCHEMA = {"type": "object", "properties": {}}
_json_encoder = msgspec.json.Encoder()


def model_family(model_id: str) -> str:
    """The maker in a model id: `us.anthropic.claude-...` → `anthropic`, `amazon.nova-pro-v1:0` → `amazon`."""
    base = model_id.rsplit("/", 1)[-1]
    parts = base.split(".")
    # a cross-region inference profile prefixes a geography (us., eu., apac., global., ...)
    if len(parts) > 2 and parts[1] in ("anthropic", "amazon", "meta", "mistral", "cohere", "ai21", "deepseek",
                                       "writer", "qwen", "openai"):  # fmt: skip
        return parts[1]
    return parts[0]


def build_body(request: ChatRequest, model_id: str) -> dict[str, Any]:
    system, messages = build_messages(request.messages)
    if not messages:
        raise BadRequestError(
            "Bedrock needs at least one user or assistant message", provider=PROVIDER, param="messages"
        )
    body: dict[str, Any] = {"messages": messages}
    if system:
        body["system"] = system
    inference = _inference_config(request)
    if inference:
        body["inferenceConfig"] = inference
    tool_config = _tool_config(request, messages)
    if tool_config is not None:
        body["toolConfig"] = tool_config
    output = _output_config(request.response_format)
    if output is not None:
        body["outputConfig"] = output
    extra = _additional_fields(request, model_id)
    for key, value in (request.extra_body or {}).items():
        if key.startswith("aws_"):
            # a credential or region sent in a request body (a gateway client's extra_body): never
            # forwarded to the model, and never honoured (a client cannot pick a deployment's keys)
            raise BadRequestError(
                f"{key} is a deployment setting (litellm_params or an SDK keyword), not a request field",
                provider=PROVIDER,
                param=key,
            )
        if key in CONVERSE_FIELDS and key != "additionalModelRequestFields":
            body[key] = value
        elif key == "additionalModelRequestFields" and isinstance(value, dict):
            extra.update(value)
        else:
            extra[key] = value
    if extra:
        body["additionalModelRequestFields"] = extra
    return body


def _inference_config(request: ChatRequest) -> dict[str, Any]:
    config: dict[str, Any] = {}
    max_tokens = request.max_output_tokens()
    if max_tokens is not None:
        config["maxTokens"] = max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.stop is not None:
        stops = [request.stop] if isinstance(request.stop, str) else list(request.stop)
        if stops:
            config["stopSequences"] = stops
    return config


def _additional_fields(request: ChatRequest, model_id: str) -> dict[str, Any]:
    family = model_family(model_id)
    fields: dict[str, Any] = {}
    if request.top_k is not None:
        if family == "amazon":
            fields["inferenceConfig"] = {"topK": request.top_k}
        else:
            fields["top_k"] = request.top_k
    thinking = _thinking(request)
    if thinking is not None:
        if family != "anthropic":
            raise BadRequestError(
                "thinking / reasoning_effort are mapped for Anthropic models on Bedrock only; pass the "
                "model's own reasoning fields in extra_body (they go to additionalModelRequestFields)",
                provider=PROVIDER,
                param="reasoning_effort" if request.reasoning_effort else "thinking",
            )
        fields["thinking"] = thinking
    return fields


def _thinking(request: ChatRequest) -> dict[str, Any] | None:
    if request.thinking is not None:
        return dict(request.thinking)
    effort = request.reasoning_effort
    if effort is None:
        return None
    if effort == "none":
        return {"type": "disabled"}
    return {"type": "enabled", "budget_tokens": THINKING_BUDGETS[effort]}


def _tool_config(request: ChatRequest, messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    tools = request.tools or []
    choice = request.tool_choice
    uses_tools = any("toolUse" in b or "toolResult" in b for m in messages for b in m["content"])
    if not tools:
        if uses_tools:
            raise BadRequestError(
                "the conversation holds tool calls: Bedrock needs the tools they used in `tools`",
                provider=PROVIDER,
                param="tools",
            )
        return None
    if choice == "none" and not uses_tools:
        # Converse has no "none" choice: without tools the model cannot call one
        return None
    specs: list[dict[str, Any]] = []
    for tool in tools:
        specs.append({"toolSpec": _tool_spec(tool)})
        if tool.cache_control:
            specs.append(dict(CACHE_POINT))
    config: dict[str, Any] = {"tools": specs}
    if choice == "auto":
        config["toolChoice"] = {"auto": {}}
    elif choice == "required":
        config["toolChoice"] = {"any": {}}
    elif isinstance(choice, NamedToolChoice):
        config["toolChoice"] = {"tool": {"name": choice.function.name}}
    return config


def _tool_spec(tool: Tool) -> dict[str, Any]:
    fn = tool.function
    spec: dict[str, Any] = {"name": fn.name, "inputSchema": {"json": fn.parameters or _EMPTY_SCHEMA}}
    if fn.description:
        spec["description"] = fn.description
    if fn.strict is not None:
        spec["strict"] = fn.strict
    return spec


def _output_config(response_format: ResponseFormat | None) -> dict[str, Any] | None:
    """Structured output: `json_schema` → `outputConfig.textFormat`, whose schema is a JSON *string*
    (models without structured-output support answer with a ValidationException)."""
    if response_format is None or response_format.type == "text":
        return None
    spec = response_format.json_schema
    if response_format.type != "json_schema" or spec is None or spec.schema is None:
        raise BadRequestError(
            "Bedrock's structured output takes response_format json_schema with a schema; json_object "
            "has no Converse equivalent",
            provider=PROVIDER,
            param="response_format",
        )
    definition: dict[str, Any] = {"schema": _json_encoder.encode(spec.schema).decode(), "name": spec.name}
    if spec.description:
        definition["description"] = spec.description
    return {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": definition}}}
