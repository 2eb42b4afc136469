"""A stream in another shape over a ChatStream (text completions, Responses events): the chat
stream keeps the bookkeeping — usage, cost, timing, errors and what served it — and the view reads
it from there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmrelay.calls.served import Served
from llmrelay.types.errors import LLMError
from llmrelay.types.response import Usage

if TYPE_CHECKING:
    from llmrelay.core.streaming import ChatStream


class ChatStreamView:
    """A stream in another shape (text completions, Responses events) over a ChatStream, which keeps
    the bookkeeping: these read it from there."""

    _chat: ChatStream

    @property
    def started(self) -> float:
        return self._chat.started

    @property
    def usage(self) -> Usage | None:
        return self._chat.usage

    @property
    def cost_micros(self) -> int:
        return self._chat.cost_micros

    @property
    def time_to_first_token(self) -> float | None:
        return self._chat.time_to_first_token

    @property
    def error(self) -> LLMError | None:
        return self._chat.error

    @property
    def hidden_params(self) -> dict[str, Any]:
        return self._chat.hidden_params

    @property
    def served(self) -> Served:
        return self._chat.served

    # served_of / attach_served read and set `_served`: the stream underneath holds it
    @property
    def _served(self) -> Served:
        return self._chat._served

    @_served.setter
    def _served(self, served: Served) -> None:
        self._chat._served = served

    @property
    def text(self) -> str:
        return self._chat.text
