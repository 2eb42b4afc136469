"""Anthropic Messages API adapter."""

from llmrelay.providers.anthropic.adapter import AnthropicProvider
from llmrelay.providers.anthropic.stream import AnthropicStreamDecoder

__all__ = ["AnthropicProvider", "AnthropicStreamDecoder"]
