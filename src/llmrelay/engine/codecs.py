"""The engine's half of the operation table (calls/operation.py): one `EngineRow` per call type,
keyed by `Operation.name`.

A row says how the engine's one path (engine.py: defaults → input check → mock → prepare → send →
parse → price → Served) runs that call type: which adapter codec prepares and parses it, the check
of its list inputs, whether a deployment's call defaults apply, what a mock deployment does with it
(refuse it with the row's label, or the row's own `mocked` path), how it is priced, and how it opens
a stream when it streams. The two special cases are rows' fields, not branches of the path: chat
answers a mock deployment itself, and a text completion goes through chat when its provider has no
completions endpoint (or is mocked)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from llmrelay.calls.context import StreamTimeouts
from llmrelay.calls.operation import CHAT, OPERATIONS, Operation
from llmrelay.calls.served import attach_served
from llmrelay.core.deployment_mock import mock_answer
from llmrelay.core.input_limits import InputLimits
from llmrelay.core.text_via_chat import chat_to_text_response, text_request_to_chat
from llmrelay.engine import streams
from llmrelay.engine.pricing import Pricer
from llmrelay.engine.served import served_by, served_via
from llmrelay.providers.base import Provider
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import InternalServerError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.image import ImageGenerationRequest, ImageResponse
from llmrelay.types.moderation import ModerationRequest, ModerationResponse
from llmrelay.types.rerank import RerankRequest, RerankResponse
from llmrelay.types.response import ChatResponse
from llmrelay.types.speech import SpeechRequest, SpeechResponse

if TYPE_CHECKING:
    from llmrelay.engine.engine import Engine

Req = TypeVar("Req")
Resp = TypeVar("Resp")

# a row's own path for a call (chat's mock answer, text via chat): the engine, the request (after
# the deployment's defaults), the deployment, drop_params and the timeout
SpecialPath = Callable[["Engine", Req, Deployment, bool, "float | None"], Awaitable[Resp]]
# how a streaming row opens its stream: as SpecialPath, with the stream's timeouts
StreamOpener = Callable[
    ["Engine", Req, Deployment, bool, "float | None", StreamTimeouts], Coroutine[Any, Any, Any]
]


@dataclass(frozen=True, slots=True, eq=False)
class Detour(Generic[Req, Resp]):
    """Another way to serve the call, taken when the adapter cannot take it itself (`when`)."""

    when: Callable[[Provider], bool]
    path: SpecialPath[Req, Resp]


@dataclass(frozen=True, slots=True, eq=False)
class EngineRow(Generic[Req, Resp]):
    name: str  # the Operation's name
    prepare: Callable[[Provider, Req, Deployment], HttpRequest]
    parse: Callable[[Provider, HttpResponse, Req], Resp]
    # the answer's price in micro-USD: pricer, answer, request, deployment, the call's adapter
    price: Callable[[Pricer, Resp, Req, Deployment, Provider], int]
    # what a mock deployment's refusal calls this call type ("embeddings")
    mock_label: str
    # a mock deployment's answer; None = refused (only chat and text completions have mock answers)
    mocked: SpecialPath[Req, Resp] | None = None
    # raises for a list input longer than the configured limit, before anything is sent
    check_input: Callable[[InputLimits, Req], None] | None = None
    # the deployment's call defaults (temperature, max_tokens...) fill what the request leaves unset
    takes_defaults: bool = False
    # raises for (or with drop_params, removes) fields the provider cannot take (chat's check_params)
    check_params: Callable[[Provider, Req, bool], Req] | None = None
    # when the adapter cannot take the call itself: the path that serves it another way
    detour: Detour[Req, Resp] | None = None
    opens_stream: StreamOpener[Req] | None = None


# ---- chat
async def _chat_mock(
    engine: Engine, request: ChatRequest, deployment: Deployment, drop_params: bool, timeout: float | None
) -> ChatResponse:
    mocked = mock_answer(request, deployment)
    attach_served(mocked, served_by(deployment, engine.pricer.price(mocked.usage, deployment), mock=True))
    return mocked


CHAT_ROW: EngineRow[ChatRequest, ChatResponse] = EngineRow(
    "chat",
    prepare=lambda adapter, request, deployment: adapter.prepare_chat(request, deployment),
    parse=lambda adapter, response, request: adapter.parse_chat(response, request),
    price=lambda pricer, result, _, deployment, adapter: pricer.price(result.usage, deployment, adapter),
    mock_label="chat",
    mocked=_chat_mock,
    takes_defaults=True,
    check_params=lambda adapter, request, drop: adapter.check_params(request, drop),
    opens_stream=streams.open_chat,
)


# ---- text completions
async def _text_via_chat(
    engine: Engine,
    request: TextCompletionRequest,
    deployment: Deployment,
    drop_params: bool,
    timeout: float | None,
) -> TextCompletionResponse:
    """A provider without a completions endpoint (or a mock deployment) answers through chat."""
    chat = await engine.answer(
        CHAT, text_request_to_chat(request), deployment, drop_params=drop_params, timeout=timeout
    )
    via_chat = chat_to_text_response(chat)
    served_via(via_chat, chat)
    return via_chat


TEXT_COMPLETION_ROW: EngineRow[TextCompletionRequest, TextCompletionResponse] = EngineRow(
    "text_completion",
    prepare=lambda adapter, request, deployment: adapter.prepare_text_completion(request, deployment),
    parse=lambda adapter, response, request: adapter.parse_text_completion(response, request),
    price=lambda pricer, result, _, deployment, adapter: pricer.price(result.usage, deployment, adapter),
    mock_label="text completions",
    mocked=_text_via_chat,
    check_input=InputLimits.check_text_completion,
    takes_defaults=True,
    detour=Detour(when=lambda adapter: not adapter.supports_text_completion, path=_text_via_chat),
    opens_stream=streams.open_text,
)


# ---- one exchange each, no mock answer
def _embedding_price(
    pricer: Pricer, result: EmbeddingResponse, _: EmbeddingRequest, deployment: Deployment, adapter: Provider
) -> int:
    return pricer.price(result.usage.as_usage(), deployment, adapter)


EMBEDDING_ROW: EngineRow[EmbeddingRequest, EmbeddingResponse] = EngineRow(
    "embedding",
    prepare=lambda adapter, request, deployment: adapter.prepare_embedding(request, deployment),
    parse=lambda adapter, response, request: adapter.parse_embedding(response, request),
    price=_embedding_price,
    mock_label="embeddings",
    check_input=InputLimits.check_embedding,
)
RERANK_ROW: EngineRow[RerankRequest, RerankResponse] = EngineRow(
    "rerank",
    prepare=lambda adapter, request, deployment: adapter.prepare_rerank(request, deployment),
    parse=lambda adapter, response, request: adapter.parse_rerank(response, request),
    price=lambda pricer, result, _, deployment, adapter: pricer.rerank(result, deployment, adapter),
    mock_label="rerank",
    check_input=InputLimits.check_rerank,
)
MODERATION_ROW: EngineRow[ModerationRequest, ModerationResponse] = EngineRow(
    "moderation",
    prepare=lambda adapter, request, deployment: adapter.prepare_moderation(request, deployment),
    parse=lambda adapter, response, request: adapter.parse_moderation(response, request),
    price=lambda pricer, _, request, deployment, adapter: pricer.moderation(request, deployment, adapter),
    mock_label="moderations",
    check_input=InputLimits.check_moderation,
)
IMAGE_GENERATION_ROW: EngineRow[ImageGenerationRequest, ImageResponse] = EngineRow(
    "image_generation",
    prepare=lambda adapter, request, deployment: adapter.prepare_image_generation(request, deployment),
    parse=lambda adapter, response, request: adapter.parse_image_generation(response, request),
    price=lambda pricer, result, request, deployment, adapter: pricer.images(
        result, request, deployment, adapter
    ),
    mock_label="image generation",
)
SPEECH_ROW: EngineRow[SpeechRequest, SpeechResponse] = EngineRow(
    "speech",
    prepare=lambda adapter, request, deployment: adapter.prepare_speech(request, deployment),
    parse=lambda adapter, response, request: adapter.parse_speech(response, request),
    price=lambda pricer, _, request, deployment, adapter: pricer.speech(request, deployment, adapter),
    mock_label="speech",
)

ENGINE_ROWS: dict[str, EngineRow[Any, Any]] = {
    row.name: row
    for row in (
        CHAT_ROW,
        TEXT_COMPLETION_ROW,
        EMBEDDING_ROW,
        RERANK_ROW,
        MODERATION_ROW,
        IMAGE_GENERATION_ROW,
        SPEECH_ROW,
    )
}


def engine_row(operation: Operation[Req, Resp]) -> EngineRow[Req, Resp]:
    """The engine's row for `operation`; a clear error for an operation the engine has no row for
    (a new call type whose engine half was not written)."""
    row = ENGINE_ROWS.get(operation.name)
    if row is None:
        raise InternalServerError(f"the engine has no path for operation {operation.name!r}")
    return row


def missing_rows() -> list[str]:
    """Operations of the table (calls.operation.OPERATIONS) the engine has no row for."""
    return [op.name for op in OPERATIONS if op.name not in ENGINE_ROWS]
