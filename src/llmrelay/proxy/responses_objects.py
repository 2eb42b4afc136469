"""The stored Responses as objects: GET /v1/responses/{id}, DELETE /v1/responses/{id} and
GET /v1/responses/{id}/input_items (OpenAI's paths, also without /v1), over the gateway's response
store (proxy/responses_store.py). Without a store every one answers 404, saying why."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import msgspec

from llmrelay.calls.principal import Principal
from llmrelay.proxy.http import Request
from llmrelay.proxy.openapi import Param, RouteDoc
from llmrelay.types.errors import BadRequestError, NotFoundError
from llmrelay.wire.responses.items import ItemPage, page_items

if TYPE_CHECKING:  # the store's module imports the database's libraries: only with a database
    from llmrelay.proxy.responses_store import ResponseStore

Handler = Callable[[Request, Principal], Awaitable[None]]
PREFIXES = ("/v1/responses/", "/responses/")
# ids this gateway makes: "resp_" and 32 hex digits; anything longer than the column cannot exist
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_QUERY = frozenset({"after", "before", "limit", "order", "include"})
_encoder = msgspec.json.Encoder()


class Deleted(msgspec.Struct, kw_only=True):
    id: str
    object: str = "response"
    deleted: bool = True


class StoredResponseRoutes:
    def __init__(self, store: ResponseStore | None) -> None:
        self.store = store

    def prefix_routes(self) -> list[tuple[str, str, Handler]]:
        routes: list[tuple[str, str, Handler]] = []
        for prefix in PREFIXES:
            routes += [("GET", prefix, self.get), ("DELETE", prefix, self.delete)]
        return routes

    async def get(self, req: Request, principal: Principal) -> None:
        response_id, sub = _target(req.path)
        if sub == "input_items":
            page = _page_query(req.scope.query_string)
            conversation = await self._store().read(response_id, principal)
            req.send_json(200, _encoder.encode(page_items(conversation.items(), page)))
            return
        _refuse_query(req.scope.query_string, frozenset())
        conversation = await self._store().read(response_id, principal)
        req.send_json(200, conversation.response)

    async def delete(self, req: Request, principal: Principal) -> None:
        response_id, sub = _target(req.path)
        if sub:
            raise NotFoundError(f"no route DELETE {req.path}", code="not_found")
        _refuse_query(req.scope.query_string, frozenset())
        await self._store().delete(response_id, principal)
        req.send_json(200, _encoder.encode(Deleted(id=response_id)))

    def _store(self) -> ResponseStore:
        if self.store is None:
            raise NotFoundError(
                "response_id: this gateway keeps no responses (it has no database, or "
                "general_settings.store_responses is false)",
                param="response_id",
                code="response_not_found",
            )
        return self.store


def _target(path: str) -> tuple[str, str]:
    """(response id, "" or "input_items") from the path; 404 for any other shape."""
    prefix = next(p for p in PREFIXES if path.startswith(p))
    response_id, _, sub = path[len(prefix) :].partition("/")
    if sub not in ("", "input_items") or not _ID.fullmatch(response_id):
        raise NotFoundError(f"no route {path}", code="not_found")
    return response_id, sub


def _refuse_query(query: str, allowed: frozenset[str]) -> dict[str, str]:
    """The query's parameters, one value each; a parameter this route does not take is a 400 naming
    it (`stream` and `include` on GET /v1/responses/{id} are not served), never ignored."""
    params: dict[str, str] = {}
    for name, values in parse_qs(query, keep_blank_values=True).items():
        key = name[:-2] if name.endswith("[]") else name
        if key not in allowed:
            raise BadRequestError(f"{key}: query parameter not supported on this route", param=key)
        if len(values) != 1 and key != "include":
            raise BadRequestError(f"{key}: give it once", param=key)
        params[key] = values[0]
    return params


def _page_query(query: str) -> ItemPage:
    params = _refuse_query(query, _QUERY)
    if params.get("include"):
        raise BadRequestError("include: no additional item data is stored to include", param="include")
    limit_text = params.get("limit", "20")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
        raise BadRequestError(f"limit: expected an integer from 1 to 100, got {limit_text!r}", param="limit")
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise BadRequestError(f"order: expected 'asc' or 'desc', got {order!r}", param="order")
    for name in ("after", "before"):
        value = params.get(name)
        if value is not None and not _ID.fullmatch(value):
            raise BadRequestError(f"{name}: not an item id", param=name)
    return ItemPage(
        after=params.get("after"), before=params.get("before"), limit=int(limit_text), order=order
    )


_ID_PARAM = Param("response_id", description="the response's id (resp_...)", where="path")
DOCS: dict[tuple[str, str], RouteDoc] = {
    ("GET", "/v1/responses/{response_id}"): RouteDoc(
        "A stored response (store: true) of this key; `/v1/responses/{response_id}/input_items` lists "
        "the items of the conversation it answered (query: after, before, limit 1-100, order asc|desc)",
        "OpenAI",
        params=(_ID_PARAM,),
        errors=(400, 404, 503),
    ),
    ("DELETE", "/v1/responses/{response_id}"): RouteDoc(
        "Delete a stored response of this key", "OpenAI", answer=Deleted, params=(_ID_PARAM,),
        errors=(404, 503),
    ),
}  # fmt: skip
