"""Ollama's own API (/api/chat, /api/generate, /api/embed), for `ollama_chat/<model>` and
`ollama/<model>`."""

from llmrelay.providers.ollama.adapter import OllamaChatProvider, OllamaProvider

__all__ = ["OllamaChatProvider", "OllamaProvider"]
