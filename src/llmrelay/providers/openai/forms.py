"""OpenAI's endpoints that take files (multipart/form-data): audio transcriptions and translations,
image edits. The forms are the request's fields with the deployment's model; fields the request
type does not know go on as they came. Used by the OpenAI adapter, and so by Azure and the
OpenAI-compatible rows that serve them (providers/openai_compat.toml's `audio_transcriptions`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from llmrelay.providers.multipart import encode_form
from llmrelay.types.audio import TranscriptionRequest, TranscriptionResponse, TranslationRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import InternalServerError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.image_edit import ImageEditRequest

if TYPE_CHECKING:
    from llmrelay.providers.openai.adapter import OpenAICompatible

_transcript = msgspec.json.Decoder(TranscriptionResponse)
# an answer in one of these formats is JSON; the others are the transcript's text as it is
JSON_FORMATS = frozenset({"json", "verbose_json", None})


def form_request(
    adapter: OpenAICompatible,
    deployment: Deployment,
    endpoint: str,
    fields: dict[str, Any],
    files: dict[str, Any],
) -> HttpRequest:
    body, content_type = encode_form({"model": deployment.model, **fields}, files)
    headers = {**adapter.headers(deployment), "content-type": content_type}
    return HttpRequest(url=adapter.url(deployment, endpoint), headers=headers, body=body)


def prepare_transcription(
    adapter: OpenAICompatible, request: TranscriptionRequest, deployment: Deployment
) -> HttpRequest:
    fields = {"language": request.language, "prompt": request.prompt,
              "response_format": request.response_format, "temperature": request.temperature,
              "timestamp_granularities": request.timestamp_granularities,
              **(request.extra_body or {})}  # fmt: skip
    return form_request(adapter, deployment, "audio/transcriptions", fields, {"file": request.file})


def prepare_translation(
    adapter: OpenAICompatible, request: TranslationRequest, deployment: Deployment
) -> HttpRequest:
    fields = {"prompt": request.prompt, "response_format": request.response_format,
              "temperature": request.temperature, **(request.extra_body or {})}  # fmt: skip
    return form_request(adapter, deployment, "audio/translations", fields, {"file": request.file})


def parse_transcript(
    provider: str, response: HttpResponse, request: TranscriptionRequest | TranslationRequest
) -> TranscriptionResponse:
    """JSON for the JSON formats; the body itself (text, srt, vtt) for the others."""
    if request.response_format not in JSON_FORMATS:
        try:
            return TranscriptionResponse(text=response.body.decode("utf-8"))
        except UnicodeDecodeError:
            raise InternalServerError(
                "malformed response from provider: a transcript that is not UTF-8 text", provider=provider
            ) from None
    try:
        return _transcript.decode(response.body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(f"malformed response from provider: {exc}", provider=provider) from exc


def prepare_image_edit(
    adapter: OpenAICompatible, request: ImageEditRequest, deployment: Deployment
) -> HttpRequest:
    fields = {"prompt": request.prompt, "n": request.n, "size": request.size, "quality": request.quality,
              "response_format": request.response_format, "user": request.user,
              **(request.extra_body or {})}  # fmt: skip
    files: dict[str, Any] = {"image": request.image}
    if request.mask is not None:
        files["mask"] = request.mask
    return form_request(adapter, deployment, "images/edits", fields, files)
