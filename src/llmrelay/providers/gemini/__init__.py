"""Google AI Studio's Gemini API (generateContent, streamGenerateContent, embedContent)."""

from llmrelay.providers.gemini.adapter import GeminiProvider

__all__ = ["GeminiProvider"]
