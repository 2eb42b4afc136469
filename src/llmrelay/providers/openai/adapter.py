"""OpenAI's wire format: chat completions, legacy completions, embeddings, moderations, images
(generations, variations and edits), speech, transcriptions and translations (the forms:
providers/openai/forms.py).

The canonical types are OpenAI's shapes, so requests encode nearly as they are: the model id is
rewritten, llmrelay-only fields are removed and `extra_body` is merged into the body.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from llmrelay.providers.base import Codec, Provider, TextStreamDecoder, join_url
from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.multipart import encode_form
from llmrelay.providers.openai import forms
from llmrelay.providers.openai.stream import (
    OpenAIChatStreamDecoder,
    OpenAITextStreamDecoder,
    adopt_reasoning_spelling,
)
from llmrelay.types.audio import TranscriptionRequest, TranscriptionResponse, TranslationRequest
from llmrelay.types.chat import ChatRequest, StreamOptions
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import InternalServerError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.image import ImageGenerationRequest, ImageResponse
from llmrelay.types.image_edit import ImageEditRequest
from llmrelay.types.image_variation import ImageVariationRequest
from llmrelay.types.moderation import ModerationRequest, ModerationResponse
from llmrelay.types.response import ChatResponse
from llmrelay.types.speech import CONTENT_TYPES, SpeechRequest, SpeechResponse

# Fields of ChatRequest OpenAI's chat API takes. `thinking` and `top_k` are other dialects' knobs.
OPENAI_CHAT_PARAMS = frozenset(
    {
        "temperature", "top_p", "n", "stop", "max_tokens", "max_completion_tokens", "presence_penalty",
        "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "seed", "tools", "tool_choice",
        "parallel_tool_calls", "response_format", "reasoning_effort", "modalities", "audio",
        "prediction", "service_tier", "store", "safety_identifier", "prompt_cache_key", "verbosity",
    }
)  # fmt: skip

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_chat_decoder = msgspec.json.Decoder(ChatResponse)
_embedding_decoder = msgspec.json.Decoder(EmbeddingResponse)
_text_decoder = msgspec.json.Decoder(TextCompletionResponse)
_moderation_decoder = msgspec.json.Decoder(ModerationResponse)
_image_decoder = msgspec.json.Decoder(ImageResponse)


class OpenAICompatible(Provider):
    """The OpenAI adapter; each OpenAI-compatible provider is an instance with its own CompatSpec."""

    # what a chat completion body decodes into (a dialect with extra response fields sets its own)
    chat_decoder: msgspec.json.Decoder[ChatResponse] = _chat_decoder

    def __init__(self, spec: CompatSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.default_api_base = spec.api_base
        self.api_key_env = spec.api_key_env
        self.api_base_env = spec.api_base_env
        self.requires_api_key = spec.requires_api_key
        self.supported_params = OPENAI_CHAT_PARAMS - spec.unsupported_params

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        """Chat; embeddings and completions as the row says; the rest of OpenAI's API for a row that
        speaks all of it (`whole_api`: OpenAI itself, and a server of the user's choosing)."""
        spec = self.spec
        table: dict[str, Codec[Any, Any]] = {"chat": Codec(self.prepare_chat, self.parse_chat)}
        if spec.embeddings:
            table["embedding"] = Codec(self.prepare_embedding, self.parse_embedding)
        if spec.text_completions:
            table["text_completion"] = Codec(self.prepare_text_completion, self.parse_text_completion)
        if spec.whole_api:
            table.update(self.openai_only_codecs())
        elif spec.audio_transcriptions:
            table.update(self.transcription_codecs())
        return table

    def openai_only_codecs(self) -> dict[str, Codec[Any, Any]]:
        """The endpoints beyond chat, embeddings and completions (moderations, images, audio)."""
        return {
            "moderation": Codec(self.prepare_moderation, self.parse_moderation),
            "image_generation": Codec(self.prepare_image_generation, self.parse_image_generation),
            "speech": Codec(self.prepare_speech, self.parse_speech),
            "image_variation": Codec(self.prepare_image_variation, self.parse_image_variation),
            "image_edit": Codec(self.prepare_image_edit, self.parse_image_generation),
            **self.transcription_codecs(),
        }

    def transcription_codecs(self) -> dict[str, Codec[Any, Any]]:
        """Speech to text: /audio/transcriptions and /audio/translations."""
        return {
            "transcription": Codec(self.prepare_transcription, self.parse_transcript),
            "translation": Codec(self.prepare_translation, self.parse_transcript),
        }

    # ---- requests
    def url(self, deployment: Deployment, endpoint: str) -> str:
        base, prefix = self.api_base(deployment), self.spec.path_prefix
        # a base given with the prefix already on it (`http://host:5000/v1`) does not get it twice
        if prefix and base.endswith("/" + prefix.strip("/")):
            prefix = ""
        return join_url(base, prefix + endpoint)

    def headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        key = self.api_key(deployment)
        if key:
            headers["authorization"] = f"Bearer {key}"
            if self.spec.key_header:
                headers[self.spec.key_header] = key
        if deployment.organization:
            headers["openai-organization"] = deployment.organization
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        body = self.chat_body(request, deployment)
        url = self.url(deployment, "chat/completions")
        return HttpRequest(url=url, headers=self.headers(deployment), body=body, stream=bool(request.stream))

    def chat_body(self, request: ChatRequest, deployment: Deployment) -> bytes:
        """The chat completion body (also sent by adapters that speak OpenAI's chat at other URLs)."""
        # metadata is llmrelay's (callbacks, logs), as in LiteLLM: OpenAI's own goes via extra_body
        changes: dict[str, Any] = {
            "model": deployment.model,
            "extra_body": None,
            "thinking": None,
            "top_k": None,
            "metadata": None,
            "cache": None,
            "anthropic_beta": None,
        }
        if request.stream:
            # always ask for usage so every stream can be priced; the client strips it if unasked
            usage = self.sends_stream_usage(deployment)
            changes["stream_options"] = StreamOptions(include_usage=True) if usage else None
        if request.max_tokens is not None and self._takes_max_completion_tokens(
            self.catalog_model(deployment)
        ):
            changes["max_tokens"] = None
            changes["max_completion_tokens"] = request.max_output_tokens()
        elif self.spec.max_tokens_only and request.max_completion_tokens is not None:
            changes["max_tokens"] = request.max_output_tokens()
            changes["max_completion_tokens"] = None
        return self.encode(msgspec.structs.replace(request, **changes), request.extra_body)

    def sends_stream_usage(self, deployment: Deployment) -> bool:
        """Whether streams ask for `stream_options.include_usage` (the provider may reject it)."""
        return self.spec.stream_usage

    def _takes_max_completion_tokens(self, model: str) -> bool:
        if self.spec.max_tokens_field == "max_completion_tokens":
            return True
        return bool(self.spec.reasoning_models) and model.startswith(self.spec.reasoning_models)

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        body = self.encode(
            msgspec.structs.replace(
                request, model=deployment.model, extra_body=None, task_type=None, cache=None
            ),
            request.extra_body,
        )
        url = self.url(deployment, "embeddings")
        return HttpRequest(url=url, headers=self.headers(deployment), body=body)

    def prepare_text_completion(self, request: TextCompletionRequest, deployment: Deployment) -> HttpRequest:
        changes: dict[str, Any] = {"model": deployment.model, "extra_body": None, "cache": None}
        if request.stream and self.sends_stream_usage(deployment):
            changes["stream_options"] = StreamOptions(include_usage=True)
        body = self.encode(msgspec.structs.replace(request, **changes), request.extra_body)
        url = self.url(deployment, "completions")
        return HttpRequest(url=url, headers=self.headers(deployment), body=body, stream=bool(request.stream))

    def prepare_moderation(self, request: ModerationRequest, deployment: Deployment) -> HttpRequest:
        body = self.encode(
            msgspec.structs.replace(request, model=deployment.model or None, extra_body=None),
            request.extra_body,
        )
        return HttpRequest(
            url=self.url(deployment, "moderations"), headers=self.headers(deployment), body=body
        )

    def prepare_image_generation(
        self, request: ImageGenerationRequest, deployment: Deployment
    ) -> HttpRequest:
        body = self.encode(
            msgspec.structs.replace(request, model=deployment.model, extra_body=None), request.extra_body
        )
        url = self.url(deployment, "images/generations")
        return HttpRequest(url=url, headers=self.headers(deployment), body=body)

    def prepare_speech(self, request: SpeechRequest, deployment: Deployment) -> HttpRequest:
        body = self.encode(
            msgspec.structs.replace(request, model=deployment.model, extra_body=None), request.extra_body
        )
        url = self.url(deployment, "audio/speech")
        return HttpRequest(url=url, headers=self.headers(deployment), body=body)

    def prepare_image_variation(self, request: ImageVariationRequest, deployment: Deployment) -> HttpRequest:
        # a form: the file, then the fields (the unknown ones as they came)
        fields = {"model": deployment.model, "n": request.n, "size": request.size,
                  "response_format": request.response_format, "user": request.user,
                  **(request.extra_body or {})}  # fmt: skip
        body, content_type = encode_form(fields, {"image": request.image})
        headers = {**self.headers(deployment), "content-type": content_type}
        return HttpRequest(url=self.url(deployment, "images/variations"), headers=headers, body=body)

    def prepare_transcription(self, request: TranscriptionRequest, deployment: Deployment) -> HttpRequest:
        return forms.prepare_transcription(self, request, deployment)

    def prepare_translation(self, request: TranslationRequest, deployment: Deployment) -> HttpRequest:
        return forms.prepare_translation(self, request, deployment)

    def prepare_image_edit(self, request: ImageEditRequest, deployment: Deployment) -> HttpRequest:
        return forms.prepare_image_edit(self, request, deployment)

    @staticmethod
    def encode(struct: msgspec.Struct, extra_body: dict[str, Any] | None) -> bytes:
        if not extra_body:
            return _encoder.encode(struct)
        data = msgspec.to_builtins(struct)
        data.update(extra_body)
        return _encoder.encode(data)

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        result = self._decode(self.chat_decoder, response.body)
        for choice in result.choices:
            adopt_reasoning_spelling(choice.message)
        return result

    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        return self._decode(_embedding_decoder, response.body)

    def parse_text_completion(
        self, response: HttpResponse, request: TextCompletionRequest
    ) -> TextCompletionResponse:
        return self._decode(_text_decoder, response.body)

    def parse_moderation(self, response: HttpResponse, request: ModerationRequest) -> ModerationResponse:
        return self._decode(_moderation_decoder, response.body)

    def parse_image_generation(
        self, response: HttpResponse, request: ImageGenerationRequest
    ) -> ImageResponse:
        return self._decode(_image_decoder, response.body)

    def parse_image_variation(self, response: HttpResponse, request: ImageVariationRequest) -> ImageResponse:
        return self._decode(_image_decoder, response.body)

    def parse_transcript(
        self, response: HttpResponse, request: TranscriptionRequest | TranslationRequest
    ) -> TranscriptionResponse:
        return forms.parse_transcript(self.name, response, request)

    def parse_speech(self, response: HttpResponse, request: SpeechRequest) -> SpeechResponse:
        # the provider's content type when it sends one; else the one of the format asked for
        content_type = response.header("content-type") or CONTENT_TYPES[request.response_format or "mp3"]
        return SpeechResponse(content=response.body, content_type=content_type)

    def chat_stream_decoder(self, request: ChatRequest) -> OpenAIChatStreamDecoder:
        return OpenAIChatStreamDecoder(self)

    def text_stream_decoder(self, request: TextCompletionRequest) -> TextStreamDecoder:
        return OpenAITextStreamDecoder(self)

    def _decode(self, decoder: msgspec.json.Decoder[T], body: bytes) -> T:
        try:
            return decoder.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(f"malformed response from provider: {exc}", provider=self.name) from exc
