"""Text-to-speech request and answer types (OpenAI's /v1/audio/speech shape).

The answer is not JSON: it is the audio's bytes and their content type."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from llmrelay.types.base import Model

AudioFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]

# the content type each format is answered with (pcm: raw 24 kHz 16-bit little-endian samples)
CONTENT_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


class SpeechRequest(Model):
    model: str
    # OpenAI's limit; the gateway's decoder refuses a longer input with a 400 naming `input`
    input: Annotated[str, msgspec.Meta(max_length=4096)]
    # a voice's name or a custom voice's id: short, printable
    voice: Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]*$")]
    response_format: AudioFormat | None = None  # OpenAI's default: mp3
    speed: Annotated[float, msgspec.Meta(ge=0.25, le=4.0)] | None = None
    instructions: Annotated[str, msgspec.Meta(max_length=4096)] | None = None  # gpt-4o-mini-tts only
    # OpenAI's "sse" streams the audio as speech.audio.delta events; the gateway answers audio in
    # one piece, so only "audio" (the default) is taken: "sse" is a 400 naming `stream_format`
    stream_format: Literal["audio"] | None = None
    extra_body: dict[str, Any] | None = None


class SpeechResponse(Model, dict=True):
    """The audio: `content` bytes of `content_type` (dict=True: the engine attaches what served it)."""

    content: bytes
    content_type: str = "audio/mpeg"

    def stream_to_file(self, path: str | Path) -> None:
        """Write the audio to `path` (the OpenAI SDK's and LiteLLM's spelling)."""
        Path(path).write_bytes(self.content)

    def read(self) -> bytes:
        return self.content
