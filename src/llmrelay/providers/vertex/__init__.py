"""Google Vertex AI (`vertex_ai/<model>`): Gemini and Claude models, Google's embedding models, and
OAuth2 access tokens minted from Google credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.providers.vertex.adapter import VertexAI

__all__ = ["VertexAI"]


def __getattr__(name: str) -> Any:
    # the adapter is imported on first use, so that the registry reads this provider's declared
    # parameters (params.py) without it
    if name == "VertexAI":
        from llmrelay.providers.vertex.adapter import VertexAI

        return VertexAI
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
