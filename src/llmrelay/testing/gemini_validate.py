"""The checks the Gemini API (generativelanguage, v1beta) makes on a generateContent request.

Its JSON is parsed as protobuf, so an unknown field name is an error (a classic sign of an adapter
sending another provider's dialect); both camelCase and snake_case names are accepted, as there."""

from __future__ import annotations

import re
from typing import Any

from llmrelay.testing.base import ProviderError

_CAMEL = re.compile(r"_([a-z])")


def camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def field(obj: dict[str, Any], name: str) -> Any:
    """Read a field by its camelCase name, accepting its snake_case spelling too."""
    if name in obj:
        return obj[name]
    snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
    return obj.get(snake)


REQUEST_FIELDS = frozenset(
    {"model", "contents", "systemInstruction", "tools", "toolConfig", "safetySettings", "generationConfig",
     "cachedContent", "labels"}
)  # fmt: skip
CONTENT_FIELDS = frozenset({"role", "parts"})
PART_FIELDS = frozenset(
    {"text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
     "codeExecutionResult", "thought", "thoughtSignature", "videoMetadata", "partMetadata"}
)  # fmt: skip
GENERATION_FIELDS = frozenset(
    {"stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "responseModalities",
     "candidateCount", "maxOutputTokens", "temperature", "topP", "topK", "seed", "presencePenalty",
     "frequencyPenalty", "responseLogprobs", "logprobs", "enableEnhancedCivicAnswers", "speechConfig",
     "thinkingConfig", "mediaResolution", "imageConfig"}
)  # fmt: skip
TOOL_FIELDS = frozenset(
    {"functionDeclarations", "googleSearchRetrieval", "codeExecution", "googleSearch", "urlContext",
     "computerUse", "fileSearch", "googleMaps"}
)  # fmt: skip


def invalid(message: str) -> ProviderError:
    return ProviderError(400, message)


def _unknown(obj: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in obj:
        if camel(key) not in allowed:
            raise invalid(
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': Cannot find field."
            )


def check_generate_request(body: Any) -> None:
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received. Expected an object.")
    _unknown(body, REQUEST_FIELDS, "")
    contents = field(body, "contents")
    if not contents:
        raise invalid("* GenerateContentRequest.contents: contents is not specified\n")
    _check_contents(contents)
    system = field(body, "systemInstruction")
    if system is not None:
        if not isinstance(system, dict):
            raise invalid(
                "Invalid value at 'system_instruction' "
                "(type.googleapis.com/google.ai.generativelanguage.v1beta.Content)"
            )
        _unknown(system, CONTENT_FIELDS, "system_instruction")
        for j, part in enumerate(field(system, "parts") or ()):
            _unknown(part, PART_FIELDS, f"system_instruction.parts[{j}]")
    for i, tool in enumerate(field(body, "tools") or ()):
        _unknown(tool, TOOL_FIELDS, f"tools[{i}]")
        for j, decl in enumerate(field(tool, "functionDeclarations") or ()):
            if not decl.get("name"):
                raise invalid(
                    f"* GenerateContentRequest.tools[{i}].function_declarations[{j}].name: "
                    "Name cannot be empty.\n"
                )
    config = field(body, "generationConfig")
    if config is not None:
        _unknown(config, GENERATION_FIELDS, "generation_config")
        temperature = field(config, "temperature")
        if temperature is not None and not 0 <= temperature <= 2:
            raise invalid("* GenerateContentRequest.generation_config.temperature: must be in [0.0, 2.0]\n")
        count = field(config, "candidateCount")
        if count is not None and not 1 <= count <= 8:
            raise invalid("* GenerateContentRequest.generation_config.candidate_count: must be in [1, 8]\n")


def _check_contents(contents: Any) -> None:
    if not isinstance(contents, list):
        raise invalid("Invalid value at 'contents': expected a list of Content")
    calls_pending = 0
    for i, content in enumerate(contents):
        if not isinstance(content, dict):
            raise invalid(f"Invalid value at 'contents[{i}]'")
        _unknown(content, CONTENT_FIELDS, f"contents[{i}]")
        role = content.get("role", "user")
        if role not in ("user", "model"):
            raise invalid("Please use a valid role: user, model.")
        parts = content.get("parts")
        if not parts:
            raise invalid(
                f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n"
            )
        for j, part in enumerate(parts):
            if not isinstance(part, dict):
                raise invalid(f"Invalid value at 'contents[{i}].parts[{j}]'")
            _unknown(part, PART_FIELDS, f"contents[{i}].parts[{j}]")
            if not any(camel(k) in PART_FIELDS - {"thought", "thoughtSignature"} for k in part):
                raise invalid(
                    f"* GenerateContentRequest.contents[{i}].parts[{j}].data: required oneof field "
                    "'data' must have one initialized field\n"
                )
        responses = sum(1 for p in parts if field(p, "functionResponse") is not None)
        if responses:
            if calls_pending == 0:
                raise invalid(
                    "Please ensure that function response turn comes immediately after a function call turn."
                )
            if responses != calls_pending:
                raise invalid(
                    "Please ensure that the number of function response parts is equal to the number of "
                    "function call parts of the function call turn."
                )
        calls_pending = (
            sum(1 for p in parts if field(p, "functionCall") is not None) if role == "model" else 0
        )
