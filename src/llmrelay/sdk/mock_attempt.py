"""Chat's `mock_response=` as the runner's attempt: answers (and streams) shaped exactly like real
ones, priced from the catalog, without a network; or the error it names, raised where a provider's
would be, so the record and the caller's exception are those of a real failed call."""

from __future__ import annotations

from typing import Any

from llmrelay.calls.served import attach_served
from llmrelay.core.mock import mock_chat_chunks, mock_chat_response, mock_content
from llmrelay.core.options import mock_error
from llmrelay.core.streaming import ChatStream
from llmrelay.engine import Engine
from llmrelay.engine.served import attach_to_stream, served_by
from llmrelay.router.records import CallTrace
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatResponse


class MockAttempt:
    def __init__(self, mock: Any, request: ChatRequest, engine: Engine, trace: CallTrace) -> None:
        self._mock = mock
        self._request = request
        self._engine = engine
        self._trace = trace
        self._raised = mock_error(mock, request.model)
        # a mock of the wrong type is the caller's TypeError, raised before any attempt is made
        self._content = mock_content(mock) if self._raised is None else ""

    def answer(self, deployment: Deployment) -> ChatResponse:
        self._raise_if_error()
        mock = self._mock
        response = (
            mock if isinstance(mock, ChatResponse) else mock_chat_response(self._request, self._content)
        )
        attach_served(
            response, served_by(deployment, self._engine.price(response.usage, deployment), mock=True)
        )
        return response

    async def stream(self, deployment: Deployment) -> ChatStream:
        self._raise_if_error()
        stream = ChatStream(
            mock_chat_chunks(self._request, self._content),
            self._request,
            started=self._trace.started_mono,
            price=lambda usage: self._engine.price(usage, deployment),
        )
        attach_to_stream(stream, deployment, mock=True)
        await stream.prefetch()
        return stream

    def reraise(self, error: LLMError) -> None:
        """Raise the mock's own exception when it was no LLMError (see `_raise_if_error`)."""
        raised = self._raised
        if raised is not None and not isinstance(raised, LLMError) and error.__cause__ is raised:
            raise raised from None

    def _raise_if_error(self) -> None:
        raised = self._raised
        if raised is None:
            return
        if isinstance(raised, LLMError):
            raise raised
        # the runner books and reports LLMErrors only: the record gets one that says what was
        # raised, and the caller the exception itself (`reraise`)
        raise LLMError(str(raised), model=self._request.model) from raised
