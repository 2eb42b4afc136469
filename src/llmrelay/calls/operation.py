"""The operation table: one row per call type.

A row says what the layers between the routes and the provider adapter need to know about a call
type, so that each layer has one path for all of them: the request and response types, the usage
that limits and spend take, the token estimate the router's tpm limits reserve before the call,
whether it may answer as a stream, and where a request that names no model goes. A new call type is
a new row here plus its adapter codecs (an entry of the adapter's codec table, keyed by
`Operation.name`), its route and its SDK function.

The engine runs every row on one path; a row with a path of its own there (chat's mock answer, text
completions through chat, input-length checks) also has an engine row (engine/codecs.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from llmrelay.calls.audio_length import measured_seconds, speech_seconds
from llmrelay.calls.prices import (
    Prices,
    by_audio_seconds,
    by_characters,
    by_images,
    by_search_units,
    by_text_tokens,
    image_usage,
)
from llmrelay.cost.tokens import token_counter
from llmrelay.types.audio import TranscriptionRequest, TranscriptionResponse, TranslationRequest
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.image import ImageGenerationRequest, ImageResponse
from llmrelay.types.image_edit import ImageEditRequest
from llmrelay.types.image_variation import ImageVariationRequest
from llmrelay.types.moderation import DEFAULT_MODERATION_MODEL, ModerationRequest, ModerationResponse
from llmrelay.types.rerank import RerankRequest, RerankResponse
from llmrelay.types.response import ChatResponse, Usage
from llmrelay.types.speech import SpeechRequest, SpeechResponse

Req = TypeVar("Req")
Resp = TypeVar("Resp")


@dataclass(frozen=True, slots=True, eq=False)
class Operation(Generic[Req, Resp]):
    name: str  # "chat", "embedding"...: the engine's and the cache's key for the row
    call_type: str  # what a CallRecord and the spend log call it ("completion", "embedding"...)
    request_type: type[Req]
    response_type: type[Resp]
    # what an adapter's refusal calls it ("provider 'groq' does not support moderations"), and a
    # mock deployment's
    label: str
    usage: Callable[[Resp], Usage | None]
    estimate_tokens: Callable[[Req], int]  # before the call, for tpm reservations
    # the answer's price in micro-USD, from the serving deployment's prices (calls/prices.py)
    price: Callable[[Prices, Req, Resp], int]
    streams: bool = False  # a request with `stream: true` answers as a stream
    # the catalog mode whose first model group takes a request that names no model (moderations
    # and image generation, as OpenAI's defaults); None = `model` is required
    default_mode: str | None = None
    # the model an SDK Client call that names none takes (a client has no groups to pick from);
    # None = `model` is required there
    client_default_model: str | None = None

    def __repr__(self) -> str:
        return f"Operation({self.name})"


def input_tokens(data: Any) -> int:
    """A token estimate of an input that is text, texts, or token ids."""
    if isinstance(data, str):
        return token_counter(text=data)
    if isinstance(data, list) and data and isinstance(data[0], str):
        return sum(token_counter(text=item) for item in data)
    if isinstance(data, list):
        return len(data) if data and isinstance(data[0], int) else sum(len(x) for x in data)
    return 0


def _chat_tokens(request: ChatRequest) -> int:
    return token_counter(request.model, request.messages) + (request.max_output_tokens() or 0)


def _rerank_tokens(request: RerankRequest) -> int:
    return input_tokens([request.query, *(d for d in request.documents if isinstance(d, str))])


def _rerank_usage(response: RerankResponse) -> Usage:
    tokens = response.input_tokens()
    return Usage(prompt_tokens=tokens, total_tokens=tokens)


def _image_usage(response: ImageResponse) -> Usage:
    return image_usage(response.usage)


def _no_usage(response: object) -> Usage:
    """Moderations and speech: no tokens reported, nothing billed by them."""
    return Usage()


CHAT: Operation[ChatRequest, ChatResponse] = Operation(
    "chat", "completion", ChatRequest, ChatResponse, "chat completions",
    usage=lambda r: r.usage, estimate_tokens=_chat_tokens, streams=True,
    price=lambda prices, _, r: prices.tokens(r.usage),
)  # fmt: skip
TEXT_COMPLETION: Operation[TextCompletionRequest, TextCompletionResponse] = Operation(
    "text_completion", "text_completion", TextCompletionRequest, TextCompletionResponse,
    "text completions",
    usage=lambda r: r.usage, estimate_tokens=lambda q: input_tokens(q.prompt), streams=True,
    price=lambda prices, _, r: prices.tokens(r.usage),
)  # fmt: skip
EMBEDDING: Operation[EmbeddingRequest, EmbeddingResponse] = Operation(
    "embedding", "embedding", EmbeddingRequest, EmbeddingResponse, "embeddings",
    usage=lambda r: r.usage.as_usage(), estimate_tokens=lambda q: input_tokens(q.input),
    price=lambda prices, _, r: prices.tokens(r.usage.as_usage()),
)  # fmt: skip
RERANK: Operation[RerankRequest, RerankResponse] = Operation(
    "rerank", "rerank", RerankRequest, RerankResponse, "rerank",
    usage=_rerank_usage, estimate_tokens=_rerank_tokens,
    price=lambda prices, _, r: by_search_units(prices, r.search_units(), r.input_tokens()),
)  # fmt: skip
# free at OpenAI; a price registered for the model applies to the input's text tokens
MODERATION: Operation[ModerationRequest, ModerationResponse] = Operation(
    "moderation", "moderation", ModerationRequest, ModerationResponse, "moderations",
    usage=_no_usage, estimate_tokens=lambda q: input_tokens(q.texts()), default_mode="moderation",
    client_default_model=DEFAULT_MODERATION_MODEL,
    price=lambda prices, q, _: by_text_tokens(prices, q.texts()),
)  # fmt: skip
IMAGE_GENERATION: Operation[ImageGenerationRequest, ImageResponse] = Operation(
    "image_generation", "image_generation", ImageGenerationRequest, ImageResponse, "image generation",
    usage=_image_usage, estimate_tokens=lambda q: input_tokens(q.prompt),
    default_mode="image_generation",
    price=lambda prices, q, r: by_images(prices, r, q.size, q.quality),
)  # fmt: skip

# the answer is audio bytes: no usage is reported, the price is per input character (or token, and
# per second of a pcm or wav answer)
SPEECH: Operation[SpeechRequest, SpeechResponse] = Operation(
    "speech", "speech", SpeechRequest, SpeechResponse, "speech",
    usage=_no_usage, estimate_tokens=lambda q: input_tokens(q.input),
    price=lambda prices, q, r: by_characters(prices, q.input, speech_seconds(r.content, r.content_type)),
)  # fmt: skip

# a file in, images out (multipart/form-data); priced per image at the asked size, as generations
IMAGE_VARIATION: Operation[ImageVariationRequest, ImageResponse] = Operation(
    "image_variation", "image_variation", ImageVariationRequest, ImageResponse, "image variations",
    usage=_image_usage, estimate_tokens=lambda _: 0, client_default_model="dall-e-2",
    price=lambda prices, q, r: by_images(prices, r, q.size, None),
)  # fmt: skip

# images and a prompt in (multipart/form-data), images out; priced as generations
IMAGE_EDIT: Operation[ImageEditRequest, ImageResponse] = Operation(
    "image_edit", "image_edit", ImageEditRequest, ImageResponse, "image edits",
    usage=_image_usage, estimate_tokens=lambda q: input_tokens(q.prompt), client_default_model="dall-e-2",
    price=lambda prices, q, r: by_images(prices, r, q.size, q.quality),
)  # fmt: skip


def _transcription_usage(response: TranscriptionResponse) -> Usage:
    """gpt-4o-transcribe's token usage (whisper-1 reports seconds, which are not tokens)."""
    usage = response.usage
    if usage is None or usage.type != "tokens" or usage.total_tokens is None:
        return Usage()
    return Usage(prompt_tokens=usage.input_tokens or 0, completion_tokens=usage.output_tokens or 0,
                 total_tokens=usage.total_tokens)  # fmt: skip


def _price_transcript(
    prices: Prices, q: TranscriptionRequest | TranslationRequest, r: TranscriptionResponse
) -> int:
    """The reported seconds, else the reported tokens, else the seconds measured (audio_length.py)."""
    usage, seconds = _transcription_usage(r), r.audio_seconds()
    if seconds is None and not usage.total_tokens:
        seconds = measured_seconds(r.text, q.file, q.response_format)
    return by_audio_seconds(prices, seconds, usage)


# an audio file in (multipart/form-data), its text out; priced per second of audio (calls/audio_length.py)
TRANSCRIPTION: Operation[TranscriptionRequest, TranscriptionResponse] = Operation(
    "transcription", "transcription", TranscriptionRequest, TranscriptionResponse, "audio transcriptions",
    usage=_transcription_usage, estimate_tokens=lambda _: 0, client_default_model="whisper-1",
    price=_price_transcript,
)  # fmt: skip
TRANSLATION: Operation[TranslationRequest, TranscriptionResponse] = Operation(
    "translation", "translation", TranslationRequest, TranscriptionResponse, "audio translations",
    usage=_transcription_usage, estimate_tokens=lambda _: 0, client_default_model="whisper-1",
    price=_price_transcript,
)  # fmt: skip

OPERATIONS: tuple[Operation[Any, Any], ...] = (
    CHAT, TEXT_COMPLETION, EMBEDDING, RERANK, MODERATION, IMAGE_GENERATION, SPEECH, IMAGE_VARIATION,
    IMAGE_EDIT, TRANSCRIPTION, TRANSLATION,
)  # fmt: skip
