"""Deepgram's pre-recorded speech to text, sans-IO: `POST {api_base}/listen?model=<model>&...` with
the audio's bytes as the body and `Authorization: Token <key>`.

OpenAI's transcription fields map onto Deepgram's query parameters: `language` is `language`; the
form fields the request type does not know (`smart_format`, `punctuate`, `diarize`, `keyterm`...) are
Deepgram's own options, sent as query parameters. What Deepgram has no equivalent of is refused
(a 400 naming the field): `prompt`, `temperature`, segment timestamps, and the `srt` / `vtt`
formats. Deepgram reports the audio's length (`metadata.duration`), which prices the call per second;
translations are not served (Deepgram transcribes, it does not translate)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec

from llmrelay.providers.base import Codec, Provider, join_url
from llmrelay.types.audio import (
    TranscriptionRequest,
    TranscriptionResponse,
    TranscriptionUsage,
)
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import InternalServerError, UnsupportedParamsError
from llmrelay.types.files import OCTET_STREAM
from llmrelay.types.http import HttpRequest, HttpResponse

# the OpenAI formats Deepgram's answer is rendered into (srt and vtt would need cues it does not give)
FORMATS = frozenset({None, "json", "verbose_json", "text"})


class _Word(msgspec.Struct):
    word: str
    start: float
    end: float
    punctuated_word: str | None = None


class _Alternative(msgspec.Struct):
    transcript: str
    words: list[_Word] = []


class _Channel(msgspec.Struct):
    alternatives: list[_Alternative]
    detected_language: str | None = None


class _Results(msgspec.Struct):
    channels: list[_Channel]


class _Metadata(msgspec.Struct):
    duration: float | None = None


class _Listen(msgspec.Struct):
    metadata: _Metadata
    results: _Results


class _Error(msgspec.Struct):
    err_msg: str | None = None
    err_code: str | None = None


_listen = msgspec.json.Decoder(_Listen)
_error = msgspec.json.Decoder(_Error)


class DeepgramProvider(Provider):
    name = "deepgram"
    default_api_base = "https://api.deepgram.com/v1"
    api_key_env = ("DEEPGRAM_API_KEY",)
    api_base_env = ("DEEPGRAM_API_BASE",)

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {"transcription": Codec(self.prepare_transcription, self.parse_transcription)}

    def prepare_transcription(self, request: TranscriptionRequest, deployment: Deployment) -> HttpRequest:
        self._refuse_what_has_no_equivalent(request)
        query: dict[str, str] = {"model": deployment.model}
        if request.language:
            query["language"] = request.language
        for name, value in (request.extra_body or {}).items():
            query[name] = _query_value(name, value)
        url = join_url(self.api_base(deployment), "listen") + "?" + urlencode(query)
        file = request.file
        # Deepgram detects the format when the type is not given
        content_type = file.content_type if file.content_type != OCTET_STREAM else "audio/*"
        headers = {"authorization": f"Token {self.api_key(deployment)}", "content-type": content_type}
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return HttpRequest(url=url, headers=headers, body=file.data)

    def _refuse_what_has_no_equivalent(self, request: TranscriptionRequest) -> None:
        refused = [
            (request.prompt is not None, "prompt", "Deepgram takes no prompt (send its `keyterm` option)"),
            (request.temperature is not None, "temperature", "Deepgram takes no temperature"),
            (request.response_format not in FORMATS, "response_format",
             "Deepgram's answer is rendered as json, verbose_json or text only"),
            ("segment" in (request.timestamp_granularities or ()), "timestamp_granularities",
             "Deepgram gives word timestamps only"),
        ]  # fmt: skip
        for given, param, why in refused:
            if given:
                raise UnsupportedParamsError(
                    f"{why}: `{param}` is not supported", provider=self.name, param=param
                )

    def parse_transcription(
        self, response: HttpResponse, request: TranscriptionRequest
    ) -> TranscriptionResponse:
        try:
            listen = _listen.decode(response.body)
            channel = listen.results.channels[0]
            best = channel.alternatives[0]
        except (msgspec.DecodeError, msgspec.ValidationError, IndexError) as exc:
            raise InternalServerError(f"malformed response from provider: {exc}", provider=self.name) from exc
        seconds = listen.metadata.duration
        usage = TranscriptionUsage(type="duration", seconds=seconds) if seconds is not None else None
        if request.response_format != "verbose_json":
            return TranscriptionResponse(text=best.transcript, usage=usage)
        words = [{"word": w.punctuated_word or w.word, "start": w.start, "end": w.end} for w in best.words]
        return TranscriptionResponse(
            text=best.transcript, task="transcribe", language=channel.detected_language or request.language,
            duration=seconds, words=words, usage=usage,
        )  # fmt: skip

    def error_message(self, body: bytes) -> str | None:
        # Deepgram's errors: {"err_code": "...", "err_msg": "...", "request_id": "..."}
        try:
            return _error.decode(body).err_msg
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None


def _query_value(name: str, value: Any) -> str:
    """A Deepgram option as its query parameter: booleans as true/false, numbers and text as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise UnsupportedParamsError(
        f"`{name}` must be text, a number or a boolean (a Deepgram query parameter)",
        provider="deepgram",
        param=name,
    )
