"""What Bedrock Runtime checks in a Converse request before answering (a ValidationException, 400)."""

from __future__ import annotations

import json
from typing import Any

from llmrelay.testing.base import ProviderError

VALIDATION = "ValidationException"
_BLOCK_KINDS = frozenset(
    {"text", "image", "document", "video", "audio", "toolUse", "toolResult", "guardContent", "cachePoint",
     "reasoningContent", "citationsContent", "searchResult"}
)  # fmt: skip
_TOP_LEVEL = frozenset(
    {"messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields",
     "promptVariables", "additionalModelResponseFieldPaths", "requestMetadata", "performanceConfig",
     "serviceTier", "outputConfig"}
)  # fmt: skip
_INFERENCE = frozenset({"maxTokens", "temperature", "topP", "stopSequences"})
START_WITH_USER = (
    "A conversation must start with a user message. Try again with a conversation that starts with a user "
    "message."
)
BLANK_TEXT = "The text field in the ContentBlock object is blank. Add text to the text field, and try again."
ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the conversation alternates "
    "between user and assistant roles and try again."
)


def invalid(message: str) -> ProviderError:
    return ProviderError(400, message, error_type=VALIDATION)


def check_converse_request(body: Any) -> None:
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    unknown = sorted(set(body) - _TOP_LEVEL)
    if unknown:
        raise invalid(f"Unknown field(s) in the request: {', '.join(unknown)}.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid(START_WITH_USER)
    uses_tools = False
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise invalid(f"messages.{i}.role: Member must satisfy enum value set: [user, assistant]")
        if i == 0 and message["role"] != "user":
            raise invalid(START_WITH_USER)
        if i and messages[i - 1].get("role") == message["role"]:
            raise invalid(ALTERNATE)
        content = message.get("content")
        if not isinstance(content, list) or not content:
            raise invalid(f"messages.{i}.content: Member must have length greater than or equal to 1")
        for j, block in enumerate(content):
            kinds = set(block) & _BLOCK_KINDS if isinstance(block, dict) else set()
            if len(kinds) != 1 or len(block) != 1:
                raise invalid(f"messages.{i}.content.{j}: a ContentBlock must set exactly one member")
            if "text" in block and not str(block["text"]).strip():
                raise invalid(BLANK_TEXT)
            if "toolUse" in block or "toolResult" in block:
                uses_tools = True
    for i, block in enumerate(body.get("system") or ()):
        if not isinstance(block, dict) or not ({"text", "cachePoint", "guardContent"} & set(block)):
            raise invalid(f"system.{i}: a SystemContentBlock must set text, guardContent or cachePoint")
    _check_inference(body.get("inferenceConfig"))
    _check_output(body.get("outputConfig"))
    _check_tools(body.get("toolConfig"), uses_tools)


def _check_inference(config: Any) -> None:
    if config is None:
        return
    if not isinstance(config, dict) or set(config) - _INFERENCE:
        raise invalid("inferenceConfig: unknown member; expected maxTokens, temperature, topP, stopSequences")
    max_tokens = config.get("maxTokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise invalid("inferenceConfig.maxTokens: Member must have value greater than or equal to 1")
    temperature = config.get("temperature")
    if temperature is not None and not (0 <= temperature <= 1):
        raise invalid("inferenceConfig.temperature: Member must have value less than or equal to 1")
    top_p = config.get("topP")
    if top_p is not None and not (0 <= top_p <= 1):
        raise invalid("inferenceConfig.topP: Member must have value less than or equal to 1")


def _check_output(config: Any) -> None:
    if config is None:
        return
    text_format = config.get("textFormat") if isinstance(config, dict) else None
    if text_format is None:
        return
    if not isinstance(text_format, dict) or text_format.get("type") != "json_schema":
        raise invalid("outputConfig.textFormat.type: Member must satisfy enum value set: [json_schema]")
    definition = (text_format.get("structure") or {}).get("jsonSchema")
    if not isinstance(definition, dict) or not isinstance(definition.get("schema"), str):
        raise invalid("outputConfig.textFormat.structure.jsonSchema.schema: a JSON schema string is required")
    try:
        schema = json.loads(definition["schema"])
    except ValueError as exc:
        raise invalid(
            f"outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON: {exc}"
        ) from exc
    if not isinstance(schema, dict):
        raise invalid("outputConfig.textFormat.structure.jsonSchema.schema must be a JSON object")


def output_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The structured-output schema a request asks for, if any (already validated)."""
    text_format = (body.get("outputConfig") or {}).get("textFormat")
    if not text_format:
        return None
    schema: dict[str, Any] = json.loads(text_format["structure"]["jsonSchema"]["schema"])
    return schema


def _check_tools(config: Any, uses_tools: bool) -> None:
    if config is None:
        if uses_tools:
            raise invalid(
                "The toolConfig field must be defined when using toolUse and toolResult content blocks."
            )
        return
    tools = config.get("tools") if isinstance(config, dict) else None
    if not isinstance(tools, list) or not tools:
        raise invalid("toolConfig.tools: Member must have length greater than or equal to 1")
    for i, tool in enumerate(tools):
        spec = tool.get("toolSpec") if isinstance(tool, dict) else None
        if spec is None and isinstance(tool, dict) and "cachePoint" in tool:
            continue
        if (
            not isinstance(spec, dict)
            or not spec.get("name")
            or not isinstance(spec.get("inputSchema"), dict)
        ):
            raise invalid(f"toolConfig.tools.{i}.toolSpec: name and inputSchema are required")
        if not isinstance(spec["inputSchema"].get("json"), dict):
            raise invalid(f"toolConfig.tools.{i}.toolSpec.inputSchema: json must be a JSON object")
    choice = config.get("toolChoice")
    if choice is not None and (
        not isinstance(choice, dict) or len(choice) != 1 or set(choice) - {"auto", "any", "tool"}
    ):
        raise invalid("toolConfig.toolChoice: set exactly one of auto, any, tool")


def tool_specs(body: dict[str, Any]) -> list[dict[str, Any]]:
    config = body.get("toolConfig") or {}
    return [t["toolSpec"] for t in config.get("tools") or () if "toolSpec" in t]
