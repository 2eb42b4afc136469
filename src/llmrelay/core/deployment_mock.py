"""A deployment configured with `mock_response` (LiteLLM's litellm_params key): its calls are answered
here, shaped and priced like real ones, and the upstream is never called. A mock string naming an
error (`litellm.RateLimitError`) raises that error, so fallbacks and cooldowns can be rehearsed."""

from __future__ import annotations

import time
from collections.abc import Callable

from llmrelay.core.mock import mock_chat_chunks, mock_chat_response
from llmrelay.core.streaming import ChatStream
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError
from llmrelay.types.response import ChatResponse, Usage


def _raise_if_error(mock: str, deployment: Deployment) -> None:
    # lazy: core.options imports the engine, which imports this module
    from llmrelay.core.options import mock_error

    error = mock_error(mock, deployment.model)
    if error is not None:
        raise error


def mock_answer(request: ChatRequest, deployment: Deployment) -> ChatResponse:
    assert deployment.mock_response is not None
    _raise_if_error(deployment.mock_response, deployment)
    return mock_chat_response(request, deployment.mock_response)


async def mock_stream(
    request: ChatRequest, deployment: Deployment, price: Callable[[Usage], int]
) -> ChatStream:
    """The mock answer as a prefetched stream; the caller attaches what served it (mock=True)."""
    assert deployment.mock_response is not None
    _raise_if_error(deployment.mock_response, deployment)
    stream = ChatStream(
        mock_chat_chunks(request, deployment.mock_response), request, started=time.monotonic(), price=price
    )
    await stream.prefetch()
    return stream


def refuse_mocked(deployment: Deployment, call: str) -> None:
    """Other call types have no mock answer: refuse rather than call the upstream the config says
    must not be called."""
    if deployment.mock_response is not None:
        raise BadRequestError(
            f"deployment {deployment.id or deployment.qualified_model!r} has mock_response, which "
            f"answers chat and text completions only, not {call}",
            model=deployment.model,
        )
