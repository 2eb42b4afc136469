"""AWS Bedrock (`bedrock/<modelId>`, `bedrock/converse/<modelId>`): chat through the Bedrock Runtime
Converse and ConverseStream APIs, embeddings (Titan, Cohere) through InvokeModel; SigV4 or Bedrock API
key (bearer) authentication."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.providers.bedrock.adapter import BedrockProvider

__all__ = ["BedrockProvider"]


def __getattr__(name: str) -> Any:
    # the adapter is imported on first use, so that the registry reads this provider's declared
    # parameters (params.py) without it
    if name == "BedrockProvider":
        from llmrelay.providers.bedrock.adapter import BedrockProvider

        return BedrockProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
