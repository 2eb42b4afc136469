"""Google Vertex AI (`vertex_ai/<model>`): Gemini and Claude models, Google's embedding models, and
OAuth2 access tokens minted from Google credentials."""

from llmrelay.providers.vertex.adapter import VertexAI

__all__ = ["VertexAI"]
