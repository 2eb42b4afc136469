"""Chat request types: the whole OpenAI chat-completions request surface."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from llmrelay.types.base import Model, always_encoded

_FUNCTION = always_encoded("function")


class TextPart(Model, tag_field="type", tag="text"):
    text: str
    cache_control: dict[str, Any] | None = None


class ImageURL(Model):
    url: str
    detail: str | None = None
    format: str | None = None


class ImagePart(Model, tag_field="type", tag="image_url"):
    image_url: ImageURL
    cache_control: dict[str, Any] | None = None


class InputAudio(Model):
    data: str
    format: str


class AudioPart(Model, tag_field="type", tag="input_audio"):
    input_audio: InputAudio


class FileRef(Model):
    file_id: str | None = None
    file_data: str | None = None
    filename: str | None = None
    format: str | None = None


class FilePart(Model, tag_field="type", tag="file"):
    file: FileRef
    cache_control: dict[str, Any] | None = None


ContentPart = TextPart | ImagePart | AudioPart | FilePart


class FunctionCall(Model):
    name: str
    arguments: str


class ToolCall(Model):
    id: str
    function: FunctionCall
    type: str = "function"

    def __post_init__(self) -> None:
        if self.type == "function":
            self.type = _FUNCTION


class Message(Model):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    # assistant turns replayed from a reasoning model (Anthropic needs the signed blocks back)
    reasoning_content: str | None = None
    thinking_blocks: list[dict[str, Any]] | None = None
    refusal: str | None = None
    # message-level prompt-caching marker (Anthropic style), applied to the message's last block
    cache_control: dict[str, Any] | None = None

    def text(self) -> str:
        """The message's text, parts joined; non-text parts are skipped."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


class FunctionDefinition(Model):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(Model):
    function: FunctionDefinition
    type: str = "function"
    cache_control: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.type == "function":
            self.type = _FUNCTION


class ToolChoiceFunction(Model):
    name: str


class NamedToolChoice(Model):
    function: ToolChoiceFunction
    type: str = "function"

    def __post_init__(self) -> None:
        if self.type == "function":
            self.type = _FUNCTION


class JsonSchemaFormat(Model):
    name: str
    schema: dict[str, Any] | None = None
    description: str | None = None
    strict: bool | None = None


class ResponseFormat(Model):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class StreamOptions(Model):
    include_usage: bool | None = None


class ChatRequest(Model):
    """A chat-completions request in OpenAI's shape: what every provider adapter starts from."""

    model: str
    messages: list[Message]
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    stop: str | list[str] | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    user: str | None = None
    seed: int | None = None
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    # Anthropic-style extended thinking, accepted from any client ({"type": "enabled", "budget_tokens": N})
    thinking: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    modalities: list[str] | None = None
    audio: dict[str, Any] | None = None
    prediction: dict[str, Any] | None = None
    service_tier: str | None = None
    store: bool | None = None
    # OpenAI's abuse-monitoring id for the end user and prompt-cache routing key (serving hints), and
    # the answer's length for GPT-5 models ("low" | "medium" | "high")
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    verbosity: Literal["low", "medium", "high"] | None = None
    top_k: int | None = None
    # tools the provider runs itself, in its own shape (Anthropic's web_search_20250305,
    # code_execution_..., bash_..., text_editor_...): only an adapter that can run them takes them
    server_tools: list[dict[str, Any]] | None = None
    # Anthropic beta features asked for by an Anthropic client (its `anthropic-beta` header): sent
    # by the Anthropic adapter as that header, meaningless to other providers
    anthropic_beta: list[str] | None = None
    # the gateway's response cache controls (LiteLLM's): no-cache, no-store, ttl, s-maxage, namespace,
    # use-cache; never sent to a provider
    cache: dict[str, Any] | None = None
    # provider-specific fields, merged into the provider's request body as given
    extra_body: dict[str, Any] | None = None

    def max_output_tokens(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens

    def wants_stream_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


# Fields that name the call rather than tune the model; never subject to the unsupported-param check.
CALL_FIELDS = frozenset(
    {
        "model", "messages", "stream", "stream_options", "metadata", "extra_body", "user", "cache",
        "anthropic_beta",
    }
)  # fmt: skip


def set_fields(request: msgspec.Struct) -> list[str]:
    """Names of the request's optional fields that the caller set (not None)."""
    return [f for f in request.__struct_fields__ if getattr(request, f) is not None]
