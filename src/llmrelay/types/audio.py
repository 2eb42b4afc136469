"""Speech-to-text request and answer types (OpenAI's /v1/audio/transcriptions and
/v1/audio/translations: multipart/form-data in; JSON or text out).

The answer keeps OpenAI's JSON fields (`text`, and `verbose_json`'s `task`, `language`, `duration`,
`segments`, `words`) and the upstream's `usage` (seconds of audio, or tokens), which the price is
taken from. For the text formats (`text`, `srt`, `vtt`) `text` holds the upstream's body as it came,
and the gateway answers it as text."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from llmrelay.types.base import Model
from llmrelay.types.files import FileUpload

TranscriptionFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]

# OpenAI's cap on an uploaded audio file; a bigger one is refused (413 naming `file`) before any call
MAX_AUDIO_BYTES = 25 * 1024 * 1024
# the content type each text format is answered with (the JSON ones as application/json)
TEXT_CONTENT_TYPES: dict[str, str] = {
    "text": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}

# OpenAI's prompt is at most 224 tokens; a generous bound in characters (the provider checks tokens)
_Prompt = Annotated[str, msgspec.Meta(max_length=4096)]
_Temperature = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class TranscriptionRequest(Model):
    file: FileUpload
    model: str
    # an ISO-639-1 code ("en"); some providers take a longer tag ("en-US")
    language: Annotated[str, msgspec.Meta(min_length=2, max_length=16, pattern=r"^[A-Za-z-]+$")] | None = None
    prompt: _Prompt | None = None
    response_format: TranscriptionFormat | None = None  # OpenAI's default: json
    temperature: _Temperature | None = None
    # word and/or segment timestamps (verbose_json only); the form field is `timestamp_granularities[]`
    timestamp_granularities: (
        Annotated[list[Literal["word", "segment"]], msgspec.Meta(max_length=2)] | None
    ) = None
    # OpenAI streams a gpt-4o-transcribe answer as events when asked; the gateway does not relay
    # that stream, so `stream: true` is refused (a 400 naming `stream`) rather than sent on
    stream: bool | None = None
    # form fields the type does not know, sent to the provider as they came
    extra_body: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _check_size(self.file)
        refuse_stream(self.stream)


class TranslationRequest(Model):
    """Audio in any language → English text (whisper-1)."""

    file: FileUpload
    model: str
    prompt: _Prompt | None = None
    response_format: TranscriptionFormat | None = None
    temperature: _Temperature | None = None
    extra_body: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _check_size(self.file)


def refuse_stream(stream: bool | None) -> None:
    if stream:
        raise ValueError("`stream: true` is not supported: the gateway answers in one piece - at `$.stream`")


def _check_size(file: FileUpload) -> None:
    # raised while the request is built (msgspec makes it a ValidationError): the decoders' 400 names
    # the field from the path at the end, as for msgspec's own errors
    if len(file.data) > MAX_AUDIO_BYTES:
        raise ValueError(
            f"the audio file is {len(file.data)} bytes, over the {MAX_AUDIO_BYTES} bytes (25 MB) "
            "OpenAI's API accepts - at `$.file`"
        )


class InputTokenDetails(Model):
    audio_tokens: int | None = None
    text_tokens: int | None = None


class TranscriptionUsage(Model):
    """OpenAI's two kinds: `{type: "duration", seconds}` (whisper-1) or `{type: "tokens", ...}`
    (gpt-4o-transcribe)."""

    type: str
    seconds: float | None = None
    input_tokens: int | None = None
    input_token_details: InputTokenDetails | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None


class TranscriptionResponse(Model, dict=True):
    """The transcript (dict=True: the engine attaches what served it)."""

    text: str
    task: str | None = None
    language: str | None = None
    duration: float | None = None
    segments: list[dict[str, Any]] | None = None
    words: list[dict[str, Any]] | None = None
    usage: TranscriptionUsage | None = None
    logprobs: list[dict[str, Any]] | None = None

    def audio_seconds(self) -> float | None:
        """The input audio's length as the upstream reported it, if it did."""
        usage = self.usage
        if usage is not None and usage.type == "duration" and usage.seconds is not None:
            return usage.seconds
        return self.duration
