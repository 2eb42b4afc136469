"""OpenAI-shaped chat messages → Cohere v2 `messages`.

Cohere v2 takes the same four roles (system, user, assistant, tool). The differences handled here:
developer messages are system messages; system content is text only; user content is text and
`image_url` blocks (no audio or files: Cohere reads documents through its `documents` field); an
assistant turn that calls tools carries its text as `tool_plan` (Cohere's place for the reasoning
that precedes calls) and its replayed reasoning as `thinking` content; a tool message names the
call it answers by `tool_call_id`, as in OpenAI.
"""

from __future__ import annotations

from typing import Any

from llmrelay.types.chat import ContentPart, ImagePart, Message, TextPart
from llmrelay.types.errors import BadRequestError


def build_messages(messages: list[Message], provider: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role in ("system", "developer"):
            out.append({"role": "system", "content": _system_text(message, provider)})
        elif message.role == "user":
            out.append({"role": "user", "content": _user_content(message.content, provider)})
        elif message.role == "assistant":
            out.append(_assistant(message))
        else:
            out.append(_tool_result(message, provider))
    return out


def _system_text(message: Message, provider: str) -> str:
    if isinstance(message.content, list) and any(not isinstance(p, TextPart) for p in message.content):
        raise BadRequestError(
            "Cohere's system messages take text only; move images to a user message",
            provider=provider,
            param="messages",
        )
    return message.text()


def _user_content(content: str | list[ContentPart] | None, provider: str) -> str | list[dict[str, Any]]:
    if content is None or isinstance(content, str):
        return content or ""
    blocks: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            image: dict[str, Any] = {"url": part.image_url.url}
            if part.image_url.detail:
                image["detail"] = part.image_url.detail
            blocks.append({"type": "image_url", "image_url": image})
        else:
            raise BadRequestError(
                f"Cohere's chat takes text and image_url content, not {part.__struct_config__.tag!r}; "
                "pass documents through extra_body={'documents': [...]}",
                provider=provider,
                param="messages",
            )
    return blocks


def _assistant(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant"}
    text = message.text()
    blocks: list[dict[str, Any]] = []
    if message.reasoning_content:
        blocks.append({"type": "thinking", "thinking": message.reasoning_content})
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments or "{}"},
            }
            for call in message.tool_calls
        ]
        if text:
            out["tool_plan"] = text
    elif text:
        blocks.append({"type": "text", "text": text})
    if blocks:
        # a plain text answer stays a string, the simplest form the API takes
        only_text = len(blocks) == 1 and blocks[0]["type"] == "text"
        out["content"] = text if only_text else blocks
    elif not message.tool_calls:
        out["content"] = ""
    return out


def _tool_result(message: Message, provider: str) -> dict[str, Any]:
    if message.role == "function" or not message.tool_call_id:
        raise BadRequestError(
            "a tool message for Cohere needs the tool_call_id of the call it answers "
            "(legacy 'function' messages are not supported)",
            provider=provider,
            param="messages",
        )
    return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text()}
