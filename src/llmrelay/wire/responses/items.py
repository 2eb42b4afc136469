"""The conversation of a stored response, as Responses API items.

A stored response keeps the input items it answered — the previous response's conversation and
output, then the request's own input — in the shape `GET /v1/responses/{id}/input_items` lists them:
each item with an `id`, a message's content as a list of parts. A follow-up request naming it in
`previous_response_id` continues from `conversation(previous_items, previous_output)`, and
request.py turns those items back into chat messages like any input.

Call `request_items` only on a request `to_chat_request` accepted: the items are validated there.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from llmrelay.types.errors import BadRequestError
from llmrelay.types.responses import Response
from llmrelay.wire.responses.schema import ResponsesRequest

Item = dict[str, Any]
# the id prefix of each item type, as OpenAI's ids read
_PREFIX = {"message": "msg", "function_call": "fc", "function_call_output": "fco", "reasoning": "rs"}


def request_items(request: ResponsesRequest) -> list[Item]:
    """The request's `input` as stored items: a string becomes one user message; every item gets an
    id (the client's own, if it gave one) and a message's string content becomes one text part."""
    if isinstance(request.input, str):
        return [_message("user", request.input, None)]
    return [_item(raw) for raw in request.input]


def output_items(response: Response) -> list[Item]:
    """The response's output as items of the next turn's conversation."""
    items: list[Item] = msgspec.to_builtins(response.output)
    return items


class _Output(msgspec.Struct):
    output: list[Item]


_output_decoder = msgspec.json.Decoder(_Output)


def output_items_of(response_json: bytes) -> list[Item]:
    """The output items of a Response, from its JSON (as stored)."""
    return _output_decoder.decode(response_json).output


def conversation(previous_items: list[Item], previous_output: list[Item]) -> list[Item]:
    """What a follow-up continues from: the previous response's input, then what it answered."""
    return [*previous_items, *previous_output]


def _item(raw: Item) -> Item:
    kind = raw.get("type", "message")
    item = {**raw, "type": kind}
    if not isinstance(item.get("id"), str) or not item["id"]:
        item["id"] = f"{_PREFIX.get(kind, 'item')}_{uuid.uuid4().hex}"
    if kind == "message":
        item["content"] = _content(str(item.get("role")), item.get("content"))
    # a listed item has a status (the openai SDK's item types require it of most)
    if item.get("status") is None:
        item["status"] = "completed"
    return item


def _message(role: str, text: str, item_id: str | None) -> Item:
    return {
        "id": item_id or f"msg_{uuid.uuid4().hex}",
        "type": "message",
        "role": role,
        "content": _content(role, text),
        "status": "completed",
    }


def _content(role: str, content: Any) -> Any:
    if not isinstance(content, str):
        return content
    if role == "assistant":
        return [{"type": "output_text", "text": content, "annotations": []}]
    return [{"type": "input_text", "text": content}]


class ItemPage(msgspec.Struct, kw_only=True):
    """A page of input_items, as OpenAI's query names it: `order` "desc" lists the newest first;
    `after` / `before` are item ids the page starts after / ends before, in that order."""

    after: str | None = None
    before: str | None = None
    limit: int = 20
    order: str = "desc"


class ItemList(msgspec.Struct, kw_only=True):
    data: list[Item]
    first_id: str | None
    last_id: str | None
    has_more: bool
    object: str = "list"


def page_items(items: list[Item], page: ItemPage) -> ItemList:
    listed = items[::-1] if page.order == "desc" else items
    ids = [item.get("id") for item in listed]
    start, end = 0, len(listed)
    if page.after is not None:
        start = _index(ids, page.after, "after") + 1
    if page.before is not None:
        end = _index(ids, page.before, "before")
    window = listed[start:end] if start < end else []
    data = window[: page.limit]
    return ItemList(
        data=data,
        first_id=data[0].get("id") if data else None,
        last_id=data[-1].get("id") if data else None,
        has_more=len(window) > len(data),
    )


def _index(ids: list[Any], item_id: str, field: str) -> int:
    try:
        return ids.index(item_id)
    except ValueError:
        raise BadRequestError(f"{field}: no item {item_id!r} in this response's input", param=field) from None
