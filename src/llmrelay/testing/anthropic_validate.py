"""The checks Anthropic's Messages API makes before answering, with its own error messages."""

from __future__ import annotations

from typing import Any

from llmrelay.testing.base import ProviderError

BLOCK_TYPES = frozenset(
    {"text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking", "search_result"}
)
TOOL_CHOICES = frozenset({"auto", "any", "tool", "none"})


def invalid(message: str) -> ProviderError:
    return ProviderError(400, message)


def blocks_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or () if isinstance(b, dict)]


def block_text(block: dict[str, Any]) -> str:
    """Text of a block; a tool_result's content may be a string or text blocks."""
    if block.get("type") == "tool_result":
        inner = block.get("content")
        if isinstance(inner, str):
            return inner
        return " ".join(b.get("text", "") for b in inner or () if isinstance(b, dict))
    return str(block.get("text") or block.get("thinking") or "")


def check_messages_request(body: Any, *, counting: bool = False) -> None:
    """Raise ProviderError as the Messages API would. `counting`: the count_tokens endpoint, which
    takes no max_tokens."""
    if not isinstance(body, dict):
        raise invalid("body: Input should be a valid dictionary")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise invalid("model: Field required")
    if not counting:
        max_tokens = body.get("max_tokens")
        if max_tokens is None:
            raise invalid("max_tokens: Field required")
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise invalid("max_tokens: Input should be greater than or equal to 1")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise invalid("messages: Field required")
    if not messages:
        raise invalid("messages: at least one message is required")
    _check_turns(messages)
    _check_sampling(body)
    _check_tools(body)
    system = body.get("system")
    if system is not None and not isinstance(system, (str, list)):
        raise invalid("system: Input should be a valid string or a list of text blocks")


def _check_turns(messages: list[Any]) -> None:
    previous_tool_uses: set[str] = set()
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role == "system":
            raise invalid(
                'messages: Unexpected role "system". The Messages API accepts a top-level `system` '
                'parameter, not "system" as an input message role.'
            )
        if role not in ("user", "assistant"):
            raise invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        if content is None:
            raise invalid(f"messages.{i}.content: Field required")
        blocks = blocks_of(message)
        for j, block in enumerate(blocks):
            kind = block.get("type")
            if kind not in BLOCK_TYPES:
                raise invalid(f"messages.{i}.content.{j}.type: Input tag {kind!r} is not a valid block type")
            if kind == "text" and not block.get("text") and isinstance(content, list):
                raise invalid(f"messages.{i}.content.{j}.text: text content blocks must be non-empty")
        results = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
        unexpected = results - previous_tool_uses
        if unexpected:
            raise invalid(
                f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                f"{', '.join(sorted(map(str, unexpected)))}. Each `tool_result` block must have a "
                "corresponding `tool_use` block in the previous message."
            )
        missing = previous_tool_uses - results
        if missing:
            raise invalid(
                f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                f"{', '.join(sorted(missing))}. Each `tool_use` block must have a corresponding "
                "`tool_result` block in the next message."
            )
        previous_tool_uses = {
            str(b.get("id")) for b in blocks if role == "assistant" and b.get("type") == "tool_use"
        }


def _check_sampling(body: dict[str, Any]) -> None:
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 1:
        raise invalid("temperature: range: 0..1")
    stops = body.get("stop_sequences")
    if stops is not None and not (isinstance(stops, list) and all(isinstance(s, str) for s in stops)):
        raise invalid("stop_sequences: Input should be a valid list of strings")
    thinking = body.get("thinking")
    if thinking is None:
        return
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind not in ("enabled", "disabled", "adaptive"):
        raise invalid("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'")
    if kind != "enabled":
        return
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int):
        raise invalid("thinking.enabled.budget_tokens: Field required")
    if budget < 1024:
        raise invalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and max_tokens <= budget:
        raise invalid("`max_tokens` must be greater than `thinking.budget_tokens`.")
    if temperature is not None and temperature != 1:
        raise invalid("`temperature` may only be set to 1 when thinking is enabled.")
    if body.get("top_k") is not None:
        raise invalid("`top_k` is not supported when thinking is enabled.")


def _check_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid("tools: Input should be a valid list")
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or not tool.get("name"):
                raise invalid(f"tools.{i}.name: Field required")
            if "type" not in tool and not isinstance(tool.get("input_schema"), dict):
                raise invalid(f"tools.{i}.custom.input_schema: Field required")
    choice = body.get("tool_choice")
    if choice is None:
        return
    if not isinstance(choice, dict) or choice.get("type") not in TOOL_CHOICES:
        raise invalid("tool_choice: Input should be an object with type 'auto', 'any', 'tool' or 'none'")
    if choice["type"] == "tool":
        names = {t.get("name") for t in tools or ()}
        if choice.get("name") not in names:
            raise invalid(f"tool_choice.tool.name: tool {choice.get('name')!r} is not in `tools`")
