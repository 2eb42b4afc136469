"""OpenAI and every OpenAI-compatible provider (one adapter, parametrised by a data row)."""

from llmrelay.providers.openai.adapter import OpenAICompatible

__all__ = ["OpenAICompatible"]
