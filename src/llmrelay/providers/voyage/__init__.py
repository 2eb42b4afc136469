"""Voyage AI (`voyage/<model>`): embeddings and rerank."""

from llmrelay.providers.voyage.adapter import VoyageProvider

__all__ = ["VoyageProvider"]
