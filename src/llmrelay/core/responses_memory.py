"""Stored Responses in the SDK: a bounded in-memory store per Client (and per Router), so
`previous_response_id` works over any provider in a program, as on the gateway, and LiteLLM's
`get_responses` / `delete_responses` / `list_input_items` answer for what this client made.

Bounded by count and by bytes (the conversations' JSON): past either bound the oldest responses are
dropped, and a later `previous_response_id` naming one is a NotFoundError, as for an id never made.
The store lives as long as its client; nothing is written anywhere. One conversation larger than
the whole byte bound is refused with a BadRequestError naming `input`, before the model is called.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import msgspec

from llmrelay.types.errors import BadRequestError, NotFoundError
from llmrelay.types.responses import Response
from llmrelay.wire.responses.items import ItemPage, conversation, output_items, page_items

Item = dict[str, Any]
DEFAULT_MAX_RESPONSES = 1000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_encoder = msgspec.json.Encoder()


class _Entry(msgspec.Struct):
    response: Response
    items: list[Item]
    size: int


class MemoryResponseStore:
    def __init__(
        self, max_responses: int = DEFAULT_MAX_RESPONSES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_responses < 1 or max_bytes < 1:
            raise ValueError("max_responses and max_bytes must be at least 1")
        self.max_responses = max_responses
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        # a sync call runs on the client's loop thread, an async one on the caller's loop, and the
        # sync lookups on the caller's thread: one lock keeps the entries and their byte count agreed
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def history(self, response_id: str, field: str = "previous_response_id") -> list[Item]:
        """What a follow-up of `response_id` continues from: its conversation, then its output."""
        with self._lock:
            entry = self._entry(response_id, field)
        return conversation(entry.items, output_items(entry.response))

    def check_size(self, items: list[Item]) -> int:
        size = len(_encoder.encode(items))
        if size > self.max_bytes:
            raise BadRequestError(
                f"input: the conversation is {size} bytes, more than this client's response store holds "
                f"({self.max_bytes}); pass store=False and the whole conversation in `input`",
                param="input",
                code="conversation_too_large",
            )
        return size

    def put(self, response: Response, items: list[Item], size: int) -> None:
        with self._lock:
            old = self._entries.pop(response.id, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[response.id] = _Entry(response, items, size)
            self._bytes += size
            while len(self._entries) > self.max_responses or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)  # the oldest first
                self._bytes -= dropped.size

    def get(self, response_id: str) -> Response:
        with self._lock:
            return self._entry(response_id, "response_id").response

    def delete(self, response_id: str) -> dict[str, Any]:
        with self._lock:
            entry = self._entry(response_id, "response_id")
            del self._entries[response_id]
            self._bytes -= entry.size
        return {"id": response_id, "object": "response", "deleted": True}

    def input_items(self, response_id: str, page: ItemPage) -> dict[str, Any]:
        with self._lock:
            items = self._entry(response_id, "response_id").items
        listed: dict[str, Any] = msgspec.to_builtins(page_items(items, page))
        return listed

    def _entry(self, response_id: str, field: str) -> _Entry:
        entry = self._entries.get(response_id)
        if entry is None:
            raise NotFoundError(
                f"{field}: no stored response {response_id!r} in this client (never made here, deleted, "
                "dropped from the bounded store, or made with store=False)",
                param=field,
                code="response_not_found",
            )
        return entry


class StoredResponses:
    """LiteLLM's names for the stored responses of a Client or a Router (`_response_store`; None
    when made with `store_responses=False`), async and sync."""

    _response_store: MemoryResponseStore | None

    def _store(self) -> MemoryResponseStore:
        if self._response_store is None:
            raise NotFoundError(
                "response_id: this client keeps no responses (made with store_responses=False)",
                param="response_id",
                code="response_not_found",
            )
        return self._response_store

    async def aget_responses(self, response_id: str) -> Response:
        """A response this client stored (`store` left on), by id; NotFoundError otherwise."""
        return self._store().get(response_id)

    def get_responses(self, response_id: str) -> Response:
        return self._store().get(response_id)

    async def adelete_responses(self, response_id: str) -> dict[str, Any]:
        """Forget a stored response: {"id", "object": "response", "deleted": True}."""
        return self._store().delete(response_id)

    def delete_responses(self, response_id: str) -> dict[str, Any]:
        return self._store().delete(response_id)

    async def alist_input_items(
        self,
        response_id: str,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int = 20,
        order: str = "desc",
    ) -> dict[str, Any]:
        """The items of the conversation a stored response answered, as OpenAI's list:
        {"object": "list", "data", "first_id", "last_id", "has_more"}; newest first unless
        order="asc"; `limit` 1-100."""
        return self.list_input_items(response_id, after=after, before=before, limit=limit, order=order)

    def list_input_items(
        self,
        response_id: str,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int = 20,
        order: str = "desc",
    ) -> dict[str, Any]:
        if not 1 <= limit <= 100:
            raise BadRequestError(f"limit: expected 1 to 100, got {limit!r}", param="limit")
        if order not in ("asc", "desc"):
            raise BadRequestError(f"order: expected 'asc' or 'desc', got {order!r}", param="order")
        page = ItemPage(after=after, before=before, limit=limit, order=order)
        return self._store().input_items(response_id, page)
