"""Token counting: exact for OpenAI encodings (bpe-openai ships o200k_base and cl100k_base, so it
works offline), a documented estimate for other providers' models.

Estimate for non-OpenAI models: their tokenizers are not public, so text is counted with o200k_base,
which for English prose lands within about ±15% of Anthropic's and Gemini's own counts. Without the
`tokens` extra installed, every model falls back to ~4 characters per token.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from llmrelay.types.chat import Message, TextPart

# OpenAI's chat format overhead (OpenAI cookbook, "How to count tokens with tiktoken"): each message
# costs 3 tokens of framing plus 1 if it has a name; every reply is primed with 3 more.
_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_NAME = 1
_REPLY_PRIMING = 3
# an image's token count depends on its size and detail; OpenAI's low-detail figure is used
_IMAGE_TOKENS = 85


@functools.cache
def _encoding(name: str) -> Any:
    import bpe_openai  # lazy: the tokenizer data is only loaded when a count is asked for

    return bpe_openai.get_encoding(name)


def encoding_name_for(model: str) -> str:
    bare = model.rsplit("/", 1)[-1]
    if bare.startswith(("gpt-3.5", "gpt-4-", "text-embedding-3", "text-embedding-ada")) or bare == "gpt-4":
        return "cl100k_base"
    return "o200k_base"


def count_text(text: str, model: str = "gpt-4o") -> int:
    if not text:
        return 0
    try:
        encoding = _encoding(encoding_name_for(model))
    except ImportError:
        return max(1, (len(text) + 3) // 4)
    return len(encoding.encode(text))


def _message_tokens(message: Message | dict[str, Any], model: str) -> int:
    if isinstance(message, dict):
        import msgspec

        message = msgspec.convert(message, Message)
    tokens = _TOKENS_PER_MESSAGE + count_text(message.role, model)
    if message.name:
        tokens += _TOKENS_PER_NAME + count_text(message.name, model)
    if isinstance(message.content, str):
        tokens += count_text(message.content, model)
    elif message.content:
        for part in message.content:
            tokens += count_text(part.text, model) if isinstance(part, TextPart) else _IMAGE_TOKENS
    for call in message.tool_calls or ():
        tokens += count_text(call.function.name, model) + count_text(call.function.arguments, model)
    return tokens


def token_counter(
    model: str = "gpt-4o",
    messages: Sequence[Message | dict[str, Any]] | None = None,
    text: str | None = None,
) -> int:
    """Tokens in `messages` (as a chat prompt, with OpenAI's framing) or in plain `text`."""
    if messages is None:
        return count_text(text or "", model)
    return sum(_message_tokens(m, model) for m in messages) + _REPLY_PRIMING
