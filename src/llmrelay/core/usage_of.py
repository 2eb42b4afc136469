"""The chat-shaped Usage (what limits, spend logs and call records take) of the answers that are not
chat-shaped: a rerank bills search units and maybe tokens, an image model may report tokens."""

from __future__ import annotations

from llmrelay.types.image import ImageResponse
from llmrelay.types.rerank import RerankResponse
from llmrelay.types.response import Usage


def rerank_usage(response: RerankResponse) -> Usage:
    tokens = response.input_tokens()
    return Usage(prompt_tokens=tokens, total_tokens=tokens)


def image_usage(response: ImageResponse) -> Usage:
    usage = response.usage
    if usage is None:
        return Usage()
    return Usage(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
    )


def no_usage(response: object) -> Usage:
    """Moderations: no tokens reported, nothing billed by them."""
    return Usage()
