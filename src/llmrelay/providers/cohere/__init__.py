"""Cohere's v2 API (/v2/chat, /v2/embed), for `cohere/<model>` and `cohere_chat/<model>`."""

from llmrelay.providers.cohere.adapter import CohereChatProvider, CohereProvider

__all__ = ["CohereChatProvider", "CohereProvider"]
