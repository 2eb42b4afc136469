"""Deepgram (`deepgram/<model>`): speech to text through its pre-recorded `/v1/listen` API."""

from llmrelay.providers.deepgram.adapter import DeepgramProvider

__all__ = ["DeepgramProvider"]
