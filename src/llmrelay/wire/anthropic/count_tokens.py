"""POST /v1/messages/count_tokens: an estimate from llmrelay's token counter.

Anthropic's tokenizer is not public, so this is the counter's documented estimate (o200k_base with
chat framing; see llmrelay.cost.tokens), plus the tool definitions counted as their JSON text.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.cost.tokens import count_text, token_counter
from llmrelay.wire.anthropic.message import TokenCount
from llmrelay.wire.anthropic.request import parse_messages_request, to_chat_request

_encoder = msgspec.json.Encoder()


def count_tokens(data: bytes | str | dict[str, Any]) -> dict[str, int]:
    """A count_tokens request (a Messages request without max_tokens) → {"input_tokens": N}."""
    request = to_chat_request(parse_messages_request(data))
    total = token_counter(model=request.model, messages=request.messages)
    for tool in request.tools or ():
        total += count_text(_encoder.encode(tool.function).decode(), request.model)
    counted: dict[str, int] = msgspec.to_builtins(TokenCount(input_tokens=total))
    return counted
