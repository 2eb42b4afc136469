"""A simulator of ElevenLabs' speech APIs with `xi-api-key` auth and its error body
(`{"detail": {"status", "message"}}`):

- `POST /v1/text-to-speech/{voice_id}?output_format=...` (JSON `text`, `model_id`, `voice_settings`):
  the format's leading bytes followed by the text's UTF-8 bytes (not playable audio, as the OpenAI
  simulator's speech);
- `POST /v1/speech-to-text` (a form: `model_id`, `file`, `language_code`, `timestamps_granularity`):
  the transcript with its words and the spacing between them, timed; what the audio says and how long
  it lasts come from `openai_audio.heard` (a `spoken_wav` says its words)."""

from __future__ import annotations

from typing import Any

from llmrelay.testing.base import (
    BytesReply,
    Call,
    Handler,
    JsonReply,
    ProviderError,
    ProviderSimulator,
    Reply,
)
from llmrelay.testing.openai_audio import heard

TTS_MODELS = ("eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_v3")
STT_MODELS = ("scribe_v1", "scribe_v2")
# output_format → (leading bytes, content type)
OUTPUT_FORMATS = {
    "mp3_44100_128": (b"ID3\x04\x00\x00", "audio/mpeg"),
    "mp3_22050_32": (b"ID3\x04\x00\x00", "audio/mpeg"),
    "pcm_24000": (b"", "application/octet-stream"),
    "pcm_16000": (b"", "application/octet-stream"),
}
_STATUSES = {400: "invalid_request", 401: "invalid_api_key", 404: "not_found", 422: "invalid_request",
             429: "too_many_concurrent_requests"}  # fmt: skip


class ElevenLabsSimulator(ProviderSimulator):
    kind = "elevenlabs"
    api_base_path = "/v1"

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/v1/text-to-speech/{voice_id}", self.speech),
            ("POST", "/v1/speech-to-text", self.transcribe),
        ]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {"detail": {"status": _STATUSES.get(status, "internal_error"), "message": message}}

    def check_auth(self, call: Call) -> ProviderError | None:
        if not self.key_accepted(call.headers.get("xi-api-key", "").strip()):
            return ProviderError(401, "Invalid API key")
        return None

    async def speech(self, call: Call) -> Reply:
        body = call.body
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
            raise ProviderError(422, "text: field required")
        model = body.get("model_id") or "eleven_multilingual_v2"
        if model not in TTS_MODELS:
            raise ProviderError(400, f"A model with model ID {model} does not exist")
        speed = (body.get("voice_settings") or {}).get("speed", 1.0)
        if not isinstance(speed, int | float) or not 0.7 <= speed <= 1.2:
            raise ProviderError(400, "voice_settings.speed must be between 0.7 and 1.2")
        fmt = call.query.get("output_format", "mp3_44100_128")
        if fmt not in OUTPUT_FORMATS:
            raise ProviderError(422, f"output_format: unknown format {fmt}")
        magic, content_type = OUTPUT_FORMATS[fmt]
        return BytesReply(magic + body["text"].encode(), content_type)

    async def transcribe(self, call: Call) -> Reply:
        body = call.body
        if not isinstance(body, dict) or not isinstance(body.get("file"), dict):
            raise ProviderError(422, "file: field required")
        model = body.get("model_id")
        if model not in STT_MODELS:
            raise ProviderError(400, f"Invalid model_id: {model}")
        text, seconds = heard(body["file"]["data"])
        words = text.split()
        step = seconds / max(1, len(words))
        items: list[dict[str, Any]] = []
        for index, word in enumerate(words):
            start = round(index * step, 3)
            if index:
                items.append({"text": " ", "type": "spacing", "start": start, "end": start})
            items.append({"text": word, "type": "word", "start": start, "end": round((index + 1) * step, 3)})
        reply: dict[str, Any] = {"language_code": body.get("language_code") or "eng",
                                 "language_probability": 0.98, "text": text}  # fmt: skip
        if body.get("timestamps_granularity", "word") != "none":
            reply["words"] = items
        return JsonReply(reply)
