"""Canonical chat requests → Ollama's /api/chat and /api/generate bodies.

OpenAI's sampling fields go into Ollama's `options` (`max_tokens` is `num_predict`); JSON mode and
JSON schemas are `format`; reasoning is `think`. Images must travel as base64 (`images`), so an
image part must be a `data:` URL. /api/generate takes one prompt: the system turns become `system`
and the conversation becomes the prompt (the user's text alone when it is one user turn).
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.ollama.wire import (
    ChatBody,
    GenerateBody,
    MessageWire,
    ToolCallWire,
    ToolFunctionWire,
)
from llmrelay.types.chat import ChatRequest, ContentPart, ImagePart, Message, TextPart
from llmrelay.types.errors import BadRequestError

# ChatRequest fields that become Ollama `options`, by their Ollama name
_OPTIONS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}
# reasoning_effort values Ollama's `think` takes as they are (gpt-oss); "none" turns thinking off
_THINK_LEVELS = frozenset({"low", "medium", "high"})
_USE_CHAT = " (Ollama's /api/generate takes one prompt): use ollama_chat/ for tools"


def chat_body(request: ChatRequest, model: str, provider: str) -> dict[str, Any]:
    messages = [_message(m, request, provider) for m in request.messages]
    _name_tool_results(request.messages, messages)
    body = ChatBody(
        model=model,
        messages=messages,
        stream=bool(request.stream),
        tools=_tools(request),
        format=_format(request),
        options=_options(request),
        think=_think(request, provider),
    )
    return _with_extra(msgspec.to_builtins(body), request.extra_body)


def generate_body(request: ChatRequest, model: str, provider: str) -> dict[str, Any]:
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    images: list[str] = []
    for message in request.messages:
        text, found = _text_and_images(message.content, request, provider)
        images.extend(found)
        if message.role in ("system", "developer"):
            system.append(text)
        elif message.role in ("user", "assistant"):
            if message.tool_calls:
                raise _refused(request, provider, "tool calls", "messages", _USE_CHAT)
            turns.append((message.role, text))
        else:
            raise _refused(request, provider, f"{message.role} messages", "messages", _USE_CHAT)
    body = GenerateBody(
        model=model,
        prompt=_prompt(turns),
        stream=bool(request.stream),
        system="\n\n".join(system) if system else None,
        images=images or None,
        format=_format(request),
        options=_options(request),
        think=_think(request, provider),
    )
    return _with_extra(msgspec.to_builtins(body), request.extra_body)


def _tools(request: ChatRequest) -> list[dict[str, Any]] | None:
    if not request.tools:
        return None
    return [{"type": "function", "function": msgspec.to_builtins(t.function)} for t in request.tools]


def _prompt(turns: list[tuple[str, str]]) -> str:
    """One user turn is the prompt as it is (Ollama wraps it in the model's template); a longer
    conversation is written out turn by turn, ending where the assistant is to answer."""
    if len(turns) == 1 and turns[0][0] == "user":
        return turns[0][1]
    lines = [f"### {'User' if role == 'user' else 'Assistant'}:\n{text}\n" for role, text in turns]
    return "\n".join([*lines, "### Assistant:\n"])


def _message(message: Message, request: ChatRequest, provider: str) -> MessageWire:
    text, images = _text_and_images(message.content, request, provider)
    role = message.role
    if role == "developer":
        role = "system"
    elif role == "function":
        # OpenAI's legacy function result: a tool result named by `name`
        return MessageWire(role="tool", content=text, tool_name=message.name)
    calls = None
    if message.tool_calls:
        calls = [
            ToolCallWire(
                function=ToolFunctionWire(
                    name=c.function.name, arguments=_arguments(c.function.arguments, request, provider)
                )
            )
            for c in message.tool_calls
        ]
    return MessageWire(
        role=role,
        content=text,
        thinking=message.reasoning_content if role == "assistant" else None,
        images=images or None,
        tool_calls=calls,
    )


def _name_tool_results(source: list[Message], out: list[MessageWire]) -> None:
    """Ollama matches a tool result to its call by the function's name: find it by the call id."""
    names: dict[str, str] = {}
    for original, wire in zip(source, out, strict=True):
        for call in original.tool_calls or ():
            names[call.id] = call.function.name
        if original.role == "tool" and original.tool_call_id:
            wire.tool_name = names.get(original.tool_call_id) or original.name


def _arguments(raw: str, request: ChatRequest, provider: str) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(raw or "{}")
    except msgspec.DecodeError as exc:
        raise BadRequestError(
            f"a tool call's arguments are not JSON ({exc}); Ollama takes them as an object",
            provider=provider,
            model=request.model,
            param="messages",
        ) from exc
    if not isinstance(value, dict):
        raise BadRequestError(
            "a tool call's arguments must be a JSON object for Ollama",
            provider=provider,
            model=request.model,
            param="messages",
        )
    return value


def _text_and_images(
    content: str | list[ContentPart] | None, request: ChatRequest, provider: str
) -> tuple[str, list[str]]:
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    texts: list[str] = []
    images: list[str] = []
    for part in content:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ImagePart):
            images.append(_base64_image(part.image_url.url, request, provider))
        else:
            raise _refused(request, provider, f"{type(part).__name__} content", "messages")
    return "".join(texts), images


def _base64_image(url: str, request: ChatRequest, provider: str) -> str:
    head, sep, data = url.partition(",")
    if not (sep and head.startswith("data:") and head.endswith(";base64") and data):
        raise BadRequestError(
            "Ollama takes images as base64: give an image as a data: URL (data:image/png;base64,...)",
            provider=provider,
            model=request.model,
            param="messages",
        )
    return data


def _format(request: ChatRequest) -> str | dict[str, Any] | None:
    fmt = request.response_format
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_schema" and fmt.json_schema is not None and fmt.json_schema.schema is not None:
        return fmt.json_schema.schema
    return "json"


def _options(request: ChatRequest) -> dict[str, Any] | None:
    options: dict[str, Any] = {}
    for field, name in _OPTIONS.items():
        value = getattr(request, field)
        if value is not None:
            options[name] = value
    limit = request.max_output_tokens()
    if limit is not None:
        options["num_predict"] = limit
    if request.stop is not None:
        options["stop"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    return options or None


def _think(request: ChatRequest, provider: str) -> bool | str | None:
    effort = request.reasoning_effort
    if effort is not None:
        if effort == "none":
            return False
        if effort in _THINK_LEVELS:
            return effort
        raise BadRequestError(
            f"Ollama's think takes low, medium or high (or none); reasoning_effort={effort!r} has no "
            "counterpart",
            provider=provider,
            model=request.model,
            param="reasoning_effort",
        )
    if request.thinking is not None:
        return request.thinking.get("type") != "disabled"
    return None


def _with_extra(body: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    """extra_body's fields join the body (keep_alive, raw...); its `options` join the options."""
    if not extra:
        return body
    extra = dict(extra)
    options = extra.pop("options", None)
    if isinstance(options, dict):
        body["options"] = {**(body.get("options") or {}), **options}
    elif options is not None:
        extra["options"] = options
    body.update(extra)
    return body


def _refused(request: ChatRequest, provider: str, what: str, param: str, hint: str = "") -> BadRequestError:
    return BadRequestError(
        f"provider {provider!r} does not take {what}{hint}",
        provider=provider,
        model=request.model,
        param=param,
    )
