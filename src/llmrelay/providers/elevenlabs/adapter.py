"""ElevenLabs' speech APIs, sans-IO, with `xi-api-key` auth:

- text to speech: `POST {api_base}/text-to-speech/{voice}?output_format=...`, a JSON body (`text`,
  `model_id`, `voice_settings`); the answer is the audio's bytes;
- speech to text: `POST {api_base}/speech-to-text`, a form (`model_id`, `file`, `language_code`...);
  the answer is JSON (`text`, `language_code`, `words` of type word, spacing or audio_event).

OpenAI's fields map onto ElevenLabs' where they have an equivalent (docs/providers/elevenlabs.md);
the others are refused with a 400 naming the field. Fields the request types do not know are
ElevenLabs' own (`voice_settings`, `seed`, `diarize`, `tag_audio_events`...), sent as given; an
`output_format` among them picks ElevenLabs' format by its own name. Translations are not served."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import msgspec

from llmrelay.providers.base import Codec, Provider, join_url
from llmrelay.providers.multipart import encode_form
from llmrelay.providers.paths import path_part
from llmrelay.types.audio import TranscriptionRequest, TranscriptionResponse, TranscriptionUsage
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import InternalServerError, UnsupportedParamsError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.speech import SpeechRequest, SpeechResponse

# OpenAI's speech formats ElevenLabs has, as its output_format names (pcm: 24 kHz 16-bit mono, as
# OpenAI's); the content type each answer is labelled with
OUTPUT_FORMATS = {"mp3": "mp3_44100_128", "pcm": "pcm_24000"}
_CONTENT_TYPES = {"mp3": "audio/mpeg", "pcm": "audio/pcm", "opus": "audio/opus", "ulaw": "audio/basic"}
# the OpenAI transcript formats ElevenLabs' answer is rendered into
TRANSCRIPT_FORMATS = frozenset({None, "json", "verbose_json", "text"})


class _Word(msgspec.Struct):
    text: str
    start: float | None = None
    end: float | None = None
    type: str = "word"


class _Transcript(msgspec.Struct):
    text: str
    language_code: str | None = None
    words: list[_Word] = []


class _Detail(msgspec.Struct):
    detail: Any = None


_transcript = msgspec.json.Decoder(_Transcript)
_detail = msgspec.json.Decoder(_Detail)
_encoder = msgspec.json.Encoder()


class ElevenLabsProvider(Provider):
    name = "elevenlabs"
    default_api_base = "https://api.elevenlabs.io/v1"
    api_key_env = ("ELEVENLABS_API_KEY",)
    api_base_env = ("ELEVENLABS_API_BASE",)

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "speech": Codec(self.prepare_speech, self.parse_speech),
            "transcription": Codec(self.prepare_transcription, self.parse_transcription),
        }

    def _headers(self, deployment: Deployment, content_type: str | None) -> dict[str, str]:
        headers = {"xi-api-key": self.api_key(deployment)}
        if content_type:
            headers["content-type"] = content_type
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    # ---- text to speech
    def prepare_speech(self, request: SpeechRequest, deployment: Deployment) -> HttpRequest:
        extra = dict(request.extra_body or {})
        output_format = extra.pop("output_format", None) or self._output_format(request)
        if request.instructions is not None:
            raise self._refused("instructions", "ElevenLabs voices take no instructions")
        body: dict[str, Any] = {"text": request.input, "model_id": deployment.model, **extra}
        if request.speed is not None:
            body["voice_settings"] = {**(body.get("voice_settings") or {}), "speed": request.speed}
        voice = path_part(request.voice, provider=self.name, param="voice")
        url = join_url(self.api_base(deployment), f"text-to-speech/{voice}")
        url += "?output_format=" + quote(str(output_format), safe="")
        return HttpRequest(
            url=url, headers=self._headers(deployment, "application/json"), body=_encoder.encode(body)
        )

    def _output_format(self, request: SpeechRequest) -> str:
        fmt = request.response_format or "mp3"
        if fmt not in OUTPUT_FORMATS:
            raise self._refused(
                "response_format", f"ElevenLabs has no {fmt!r} format (mp3, pcm, or its own output_format)"
            )
        return OUTPUT_FORMATS[fmt]

    def parse_speech(self, response: HttpResponse, request: SpeechRequest) -> SpeechResponse:
        asked = str(
            (request.extra_body or {}).get("output_format")
            or OUTPUT_FORMATS.get(request.response_format or "mp3")
        )
        labelled = _CONTENT_TYPES.get(asked.split("_", 1)[0], "application/octet-stream")
        return SpeechResponse(content=response.body, content_type=labelled)

    # ---- speech to text
    def prepare_transcription(self, request: TranscriptionRequest, deployment: Deployment) -> HttpRequest:
        if request.prompt is not None:
            raise self._refused("prompt", "ElevenLabs' speech to text takes no prompt")
        if request.response_format not in TRANSCRIPT_FORMATS:
            raise self._refused(
                "response_format", "ElevenLabs' answer is rendered as json, verbose_json or text only"
            )
        granularities = request.timestamp_granularities or []
        if "segment" in granularities:
            raise self._refused("timestamp_granularities", "ElevenLabs gives word timestamps only")
        fields = {"model_id": deployment.model, "language_code": request.language,
                  "temperature": request.temperature,
                  "timestamps_granularity": "word" if granularities else None,
                  **(request.extra_body or {})}  # fmt: skip
        body, content_type = encode_form(fields, {"file": request.file})
        url = join_url(self.api_base(deployment), "speech-to-text")
        return HttpRequest(url=url, headers=self._headers(deployment, content_type), body=body)

    def parse_transcription(
        self, response: HttpResponse, request: TranscriptionRequest
    ) -> TranscriptionResponse:
        try:
            answer = _transcript.decode(response.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(f"malformed response from provider: {exc}", provider=self.name) from exc
        # ElevenLabs reports no duration: the end of its last timed item (word, spacing or audio
        # event) is the length priced (the speech's end; trailing silence is not counted)
        ends = [w.end for w in answer.words if w.end is not None]
        seconds = max(ends) if ends else None
        usage = TranscriptionUsage(type="duration", seconds=seconds) if seconds is not None else None
        if request.response_format != "verbose_json":
            return TranscriptionResponse(text=answer.text, usage=usage)
        words = [{"word": w.text, "start": w.start, "end": w.end} for w in answer.words if w.type == "word"]
        return TranscriptionResponse(
            text=answer.text, task="transcribe", language=answer.language_code, duration=seconds,
            words=words, usage=usage,
        )  # fmt: skip

    # ---- errors: {"detail": {"status", "message"}} or {"detail": "..."}
    def error_message(self, body: bytes) -> str | None:
        try:
            detail = _detail.decode(body).detail
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        if isinstance(detail, dict):
            return str(detail.get("message") or detail.get("status") or "") or None
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            return str(detail[0].get("msg") or "") or None
        return str(detail) if detail else None

    def _refused(self, param: str, why: str) -> UnsupportedParamsError:
        return UnsupportedParamsError(f"{why}: `{param}` is not supported", provider=self.name, param=param)
