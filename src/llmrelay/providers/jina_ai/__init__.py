"""Jina AI (`jina_ai/<model>`): embeddings and rerank."""

from llmrelay.providers.jina_ai.adapter import JinaProvider

__all__ = ["JinaProvider"]
