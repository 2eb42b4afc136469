"""The engine's half of the operation table (calls/operation.py): an `EngineRow` for each call type
the engine runs with more than the one path, keyed by `Operation.name`.

The one path (engine.py: defaults → input check → mock → the adapter's codec: prepare → send →
parse → the row's price → Served) needs nothing per call type: the adapter's codec table says how
it is prepared and parsed (or that the adapter does not serve it), the Operation row how it is
priced and what a refusal calls it. A row here adds what only some call types have: the check of
list inputs, the deployment's call defaults, a mock answer, parameter checks, a detour and a stream
opener. The two special cases are rows' fields, not branches of the path: chat answers a mock
deployment itself, and a text completion goes through chat when its provider has no completions
endpoint (or is mocked). A call type without a row here takes `PLAIN_ROW`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from llmrelay.calls.context import StreamTimeouts
from llmrelay.calls.operation import CHAT, Operation
from llmrelay.calls.served import attach_served
from llmrelay.core.deployment_mock import mock_answer
from llmrelay.core.input_limits import InputLimits
from llmrelay.core.text_via_chat import chat_to_text_response, text_request_to_chat
from llmrelay.engine import streams
from llmrelay.engine.served import served_by, served_via
from llmrelay.providers.base import Provider
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.moderation import ModerationRequest, ModerationResponse
from llmrelay.types.rerank import RerankRequest, RerankResponse
from llmrelay.types.response import ChatResponse

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
    # a mock deployment's answer; None = refused with the Operation's label (only chat and text
    # completions have mock answers)
    mocked: SpecialPath[Req, Resp] | None = None
    # raises for a list input longer than the configured limit, before anything is sent
    check_input: Callable[[InputLimits, Req], None] | None = None
    # the deployment's call defaults (temperature, max_tokens...) fill what the request leaves unset
    takes_defaults: bool = False
    # raises for (or with drop_params, removes) fields the provider cannot take (chat's check_params)
    check_params: Callable[[Provider, Req, Deployment, bool], Req] | None = None
    # when the adapter cannot take the call itself: the path that serves it another way
    detour: Detour[Req, Resp] | None = None
    opens_stream: StreamOpener[Req] | None = None


# a call type with nothing of its own in the engine: one exchange, no mock answer
PLAIN_ROW: EngineRow[Any, Any] = EngineRow("")


# ---- chat
async def _chat_mock(
    engine: Engine, request: ChatRequest, deployment: Deployment, drop_params: bool, timeout: float | None
) -> ChatResponse:
    mocked = mock_answer(request, deployment)
    attach_served(mocked, served_by(deployment, engine.pricer.price(mocked.usage, deployment), mock=True))
    return mocked


CHAT_ROW: EngineRow[ChatRequest, ChatResponse] = EngineRow(
    "chat",
    mocked=_chat_mock,
    takes_defaults=True,
    check_params=lambda adapter, request, deployment, drop: adapter.check_params(request, drop),
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
    mocked=_text_via_chat,
    check_input=InputLimits.check_text_completion,
    takes_defaults=True,
    detour=Detour(when=lambda adapter: not adapter.supports_text_completion, path=_text_via_chat),
    opens_stream=streams.open_text,
)


# ---- one exchange each, with list inputs to bound
EMBEDDING_ROW: EngineRow[EmbeddingRequest, EmbeddingResponse] = EngineRow(
    "embedding",
    check_input=InputLimits.check_embedding,
    check_params=lambda adapter, request, deployment, drop: adapter.check_embedding_params(
        request, deployment, drop
    ),
)
RERANK_ROW: EngineRow[RerankRequest, RerankResponse] = EngineRow(
    "rerank", check_input=InputLimits.check_rerank
)
MODERATION_ROW: EngineRow[ModerationRequest, ModerationResponse] = EngineRow(
    "moderation", check_input=InputLimits.check_moderation
)

ENGINE_ROWS: dict[str, EngineRow[Any, Any]] = {
    row.name: row for row in (CHAT_ROW, TEXT_COMPLETION_ROW, EMBEDDING_ROW, RERANK_ROW, MODERATION_ROW)
}


def engine_row(operation: Operation[Req, Resp]) -> EngineRow[Req, Resp]:
    """The engine's row for `operation`: its own, or the plain one-exchange path."""
    return ENGINE_ROWS.get(operation.name, PLAIN_ROW)
