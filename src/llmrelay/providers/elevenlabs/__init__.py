"""ElevenLabs (`elevenlabs/<model>`): text to speech and speech to text."""

from llmrelay.providers.elevenlabs.adapter import ElevenLabsProvider

__all__ = ["ElevenLabsProvider"]
