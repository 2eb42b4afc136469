"""The gateway's OpenAPI document, built from what the gateway serves, and a self-contained HTML page
listing it at /docs (no CDN: the gateway may run offline).

Each route the app registers — method, path and who may call it — is looked up in the route
descriptions (`RouteDoc`): request and answer schemas are generated from the very msgspec Structs the
handlers decode and encode (one `msgspec.json.schema_components` call for all of them), so the
document cannot drift from what is accepted. A served route without a description stops the app from
being built; a description of a route the app does not serve is left out."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from llmrelay.wire.anthropic.message import TokenCount
from llmrelay.wire.anthropic.schema import MessagesRequest
from llmrelay.wire.responses.schema import ResponsesRequest

# who may call a route, as the app registers it: the key in `Authorization: Bearer`, that or
# `x-api-key` (the Anthropic dialect), or anyone
Auth = Literal["openai", "anthropic", "public"]
_REF = "#/components/schemas/{name}"


@dataclass(frozen=True, slots=True)
class Param:
    """A query or path parameter. `type` is any type msgspec can describe (str, int,
    Annotated[int, Meta(ge=1)], a Literal...): its JSON Schema is the parameter's schema."""

    name: str
    type: Any = str
    description: str = ""
    where: Literal["query", "path"] = "query"
    # a path parameter always is
    required: bool = False


@dataclass(frozen=True, slots=True)
class RouteDoc:
    """What the OpenAPI document says of one route."""

    summary: str
    tag: str
    # the Struct the handler decodes the body into (None: the route reads no body)
    body: type | None = None
    # the Struct the 200 answer is encoded from; None: an object the document does not detail
    answer: type | None = None
    params: tuple[Param, ...] = ()
    # the 200 answer is an event stream when the body asks for `stream: true`
    streams: bool = False
    # the 200 answer's content type when it is not JSON (static files, metrics)
    content_type: str = "application/json"
    # the error statuses the route answers (besides those every authenticated route may answer)
    errors: tuple[int, ...] = (400,)
    # which error body: OpenAI's {"error": {...}} or Anthropic's {"type": "error", "error": {...}}
    error_dialect: Literal["openai", "anthropic"] = "openai"
    # a 304 Not Modified answers a matching If-None-Match (static files)
    etag: bool = False
    # how the body is sent: JSON, or multipart/form-data (a route that takes a file)
    body_content_type: str = "application/json"
    # fields of `body` this route requires though the Struct does not (a Struct shared by two routes)
    body_requires: tuple[str, ...] = ()
    # the route reads a missing body as `{}` (the admin API's, as LiteLLM's)
    body_optional: bool = False
    # statuses besides 200 whose body is the route's answer, not an error (readiness: 503)
    answer_statuses: tuple[int, ...] = ()


class OpenAIErrorDetail(msgspec.Struct):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIError(msgspec.Struct):
    """Every error answer of the OpenAI-dialect and admin routes."""

    error: OpenAIErrorDetail


class AnthropicErrorDetail(msgspec.Struct):
    type: str
    message: str


class AnthropicError(msgspec.Struct):
    """Every error answer of the Anthropic-dialect routes."""

    type: Literal["error"]
    error: AnthropicErrorDetail


class ModelCard(msgspec.Struct):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(msgspec.Struct):
    object: Literal["list"]
    data: list[ModelCard]


_DESCRIPTIONS = {
    200: "OK",
    304: "Not modified (the If-None-Match ETag matches)",
    400: "invalid request (the error names the field)",
    401: "missing or wrong API key",
    403: "the key may not do this",
    404: "not found (an unknown model: the error lists what the key may call)",
    405: "method not allowed",
    408: "the gateway's request deadline passed",
    413: "request body too large",
    422: "the upstream could not process the request",
    429: "a rate limit or budget of the key, user, team or deployment; too many requests in flight "
    "from this address; or too many failed authentications from it (docs/security.md)",
    500: "the upstream failed",
    502: "the upstream answered something unreadable",
    503: "no deployment can take the call now, or a dependency is down",
    504: "the upstream did not answer in time",
}
# one event of a stream (OpenAPI 3.1: the `schema` of text/event-stream describes each event): its
# data is a JSON chunk of the route's dialect, or `[DONE]` at the end of an OpenAI stream
_SSE_EVENT = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
    "required": ["data"],
}
# what every route behind a key may answer besides its own errors: ambiguous credentials (400), a
# missing or wrong key, a key not allowed, failed authentications throttled (429)
_AUTH_ERRORS = (400, 401, 403, 429)
# what any route may answer: too many requests in flight from the client's address
_EVERY_ROUTE_ERRORS = (429,)
# a call routed to an upstream: the upstream's own failures, relayed
UPSTREAM_ERRORS = (400, 404, 408, 413, 422, 429, 500, 502, 503, 504)

# the routes that are not a call type's (those are described where they are declared:
# proxy/route_table.py)
_GATEWAY_DOCS: dict[tuple[str, str], RouteDoc] = {
    ("POST", "/v1/responses"): RouteDoc(
        "Responses API (OpenAI dialect), any configured model; stored (store, previous_response_id) "
        "where the gateway has a database", "OpenAI",
        ResponsesRequest, streams=True, errors=UPSTREAM_ERRORS),
    ("GET", "/v1/models"): RouteDoc("List the model groups the key may call", "OpenAI", answer=ModelList,
                                    errors=()),
    ("GET", "/v1/models/{model}"): RouteDoc(
        # 400: a path that is not canonical (proxy/paths.py), as the model id is part of it
        "One model group", "OpenAI", answer=ModelCard, errors=(400, 404),
        params=(Param("model", description="a model group name", where="path"),)),
    ("POST", "/v1/messages"): RouteDoc(
        "Messages (Anthropic dialect), any model", "Anthropic", MessagesRequest, streams=True,
        errors=UPSTREAM_ERRORS, error_dialect="anthropic", body_requires=("max_tokens",)),
    ("POST", "/v1/messages/count_tokens"): RouteDoc(
        "Count input tokens (Anthropic dialect)", "Anthropic", MessagesRequest, TokenCount,
        errors=(400, 413), error_dialect="anthropic"),
    ("GET", "/health"): RouteDoc("Per-deployment health from the router's view", "Health", errors=()),
    ("GET", "/health/liveliness"): RouteDoc("Process is up", "Health", errors=()),
    ("GET", "/health/liveness"): RouteDoc("Process is up (another name)", "Health", errors=()),
    ("GET", "/health/readiness"): RouteDoc(
        "Ready to serve: 503 while a dependency (the database) does not answer", "Health", errors=(),
        answer_statuses=(503,)),
    ("GET", "/model/info"): RouteDoc("Configured deployments without credentials", "Admin", errors=()),
    ("GET", "/v1/model/info"): RouteDoc("Configured deployments without credentials", "Admin", errors=()),
    ("GET", "/metrics"): RouteDoc(
        "Prometheus metrics", "Health", content_type="text/plain; version=0.0.4", errors=()),
    ("GET", "/openapi.json"): RouteDoc("This document", "Docs", errors=()),
    ("GET", "/docs"): RouteDoc("This document as an HTML page", "Docs", content_type="text/html",
                               errors=()),
}  # fmt: skip


def gateway_docs() -> dict[tuple[str, str], RouteDoc]:
    """The descriptions of the routes every gateway serves (the admin API adds its own)."""
    return dict(_GATEWAY_DOCS)


def static_file_doc(content_type: str) -> RouteDoc:
    return RouteDoc("A file of the admin UI", "Admin UI", content_type=content_type, errors=(), etag=True)


@dataclass(frozen=True, slots=True)
class ServedRoute:
    """One route as the app serves it: an exact path, or a path prefix followed by one parameter
    (`/audit/` → `/audit/{id}`)."""

    method: str
    path: str
    auth: Auth
    prefix: bool = False


class UndocumentedRoute(LookupError):
    """A route the app serves has no description: fix the route table, not the document."""


def _find_doc(route: ServedRoute, docs: Mapping[tuple[str, str], RouteDoc]) -> tuple[str, RouteDoc]:
    """The documented path of a served route and its description (an un-prefixed alias of a /v1
    route shares the /v1 route's description)."""
    candidates = [route.path] if route.path.startswith("/v1/") else [route.path, "/v1" + route.path]
    for path in candidates:
        for (method, documented), doc in docs.items():
            if method != route.method:
                continue
            if route.prefix:
                head, _, param = documented.rpartition("/")
                if head + "/" == path and param.startswith("{") and param.endswith("}"):
                    return route.path + param, doc
            elif documented == path:
                return route.path, doc
    kind = "path prefix" if route.prefix else "path"
    raise UndocumentedRoute(f"{route.method} {kind} {route.path} has no OpenAPI description")


def _security(auth: Auth) -> list[dict[str, list[str]]]:
    if auth == "public":
        return []
    if auth == "anthropic":
        return [{"bearer": []}, {"x_api_key": []}]
    return [{"bearer": []}]


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(
    route: ServedRoute, doc: RouteDoc, schemas: Mapping[type, dict[str, Any]], alias_of: str | None
) -> dict[str, Any]:
    summary = doc.summary if alias_of is None else f"{doc.summary} (the same as {alias_of})"
    op: dict[str, Any] = {
        "operationId": f"{route.method.lower()} {route.path}",
        "summary": summary,
        "tags": [doc.tag],
        "security": _security(route.auth),
    }
    params = [
        {
            "name": p.name,
            "in": p.where,
            "required": p.required or p.where == "path",
            "description": p.description,
            "schema": msgspec.json.schema(p.type),
        }
        for p in doc.params
    ]
    if params:
        op["parameters"] = params
    if doc.body is not None:
        body = schemas[doc.body]
        if doc.body_requires:
            body = {"allOf": [body, {"required": list(doc.body_requires)}]}
        content = {doc.body_content_type: {"schema": body}}
        op["requestBody"] = {"required": not doc.body_optional, "content": content}
    ok: dict[str, Any] = {"description": _DESCRIPTIONS[200]}
    if doc.content_type == "application/json":
        ok["content"] = _json_content(schemas[doc.answer] if doc.answer is not None else {})
    else:
        ok["content"] = {doc.content_type: {"schema": {"type": "string"}}}
    if doc.streams:
        ok["description"] += " (text/event-stream when the body asks for `stream: true`)"
        ok["content"]["text/event-stream"] = {"schema": _SSE_EVENT}
    responses: dict[str, Any] = {"200": ok}
    for status in doc.answer_statuses:
        responses[str(status)] = {"description": _DESCRIPTIONS[status], "content": ok["content"]}
    if doc.etag:
        responses["304"] = {"description": _DESCRIPTIONS[304]}
    error = schemas[AnthropicError if doc.error_dialect == "anthropic" else OpenAIError]
    errors = set(doc.errors) | set(_EVERY_ROUTE_ERRORS)
    if route.auth != "public":
        errors |= set(_AUTH_ERRORS)
    if doc.body is not None:
        errors |= {400, 413}
    for status in sorted(errors):
        responses[str(status)] = {"description": _DESCRIPTIONS[status], "content": _json_content(error)}
    op["responses"] = responses
    return op


def _schemas(docs: Iterable[RouteDoc]) -> tuple[dict[type, dict[str, Any]], dict[str, Any]]:
    """Each body and answer Struct → its schema (a $ref), and the components they refer to."""
    types: list[type] = [OpenAIError, AnthropicError]
    for doc in docs:
        types += [t for t in (doc.body, doc.answer) if t is not None and t not in types]
    refs, components = msgspec.json.schema_components(types, ref_template=_REF)
    if "FileUpload" in components:
        # a file field is only ever a part of a multipart/form-data body: the file's bytes
        components["FileUpload"] = {"type": "string", "format": "binary", "title": "FileUpload"}
    return dict(zip(types, refs, strict=True)), components


class ApiDocument:
    """The OpenAPI document of one app's routes. Checked when made (UndocumentedRoute for a served
    route `docs` does not describe); written out on first use, since generating the schemas takes
    tens of milliseconds a worker serving no /openapi.json need not spend."""

    def __init__(
        self, version: str, routes: Iterable[ServedRoute], docs: Mapping[tuple[str, str], RouteDoc]
    ) -> None:
        self.version = version
        self._found = [(route, *_find_doc(route, docs)) for route in routes]
        self._document: dict[str, Any] | None = None
        self._json: bytes | None = None
        self._page: str | None = None

    def document(self) -> dict[str, Any]:
        if self._document is None:
            self._document = _document(self.version, self._found)
        return self._document

    def json(self) -> bytes:
        if self._json is None:
            self._json = msgspec.json.encode(self.document())
        return self._json

    def page(self) -> str:
        if self._page is None:
            self._page = docs_page(self.document())
        return self._page


def openapi_document(
    version: str, routes: Iterable[ServedRoute], docs: Mapping[tuple[str, str], RouteDoc]
) -> dict[str, Any]:
    """The document of exactly `routes`, described by `docs`; UndocumentedRoute for a served route
    `docs` does not describe."""
    return ApiDocument(version, routes, docs).document()


def _document(version: str, found: list[tuple[ServedRoute, str, RouteDoc]]) -> dict[str, Any]:
    schemas, components = _schemas(doc for _, _, doc in found)
    paths: dict[str, dict[str, Any]] = {}
    documented = {path for _, path, _ in found}
    for route, path, doc in sorted(found, key=lambda item: (item[1], item[0].method)):
        # an un-prefixed alias says which /v1 route it is the same as
        alias_of = "/v1" + path if not path.startswith("/v1/") and "/v1" + path in documented else None
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, doc, schemas, alias_of)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "llmrelay gateway",
            "version": version,
            "description": "OpenAI- and Anthropic-compatible LLM gateway. Every /v1 route is also served "
            "without the /v1 prefix. Authenticate with `Authorization: Bearer <key>` (the master key "
            "or a virtual key), or `x-api-key` on the Anthropic routes. Every error answer is a JSON "
            "body naming what is wrong.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "x_api_key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
            "schemas": components,
        },
        "paths": paths,
    }


def docs_page(document: Mapping[str, Any]) -> str:
    rows = "\n".join(
        f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
        f"<td>{html.escape(op['summary'])}</td></tr>"
        for path, operations in document["paths"].items()
        for method, op in operations.items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>llmrelay API</title></head><body>"
        "<h1>llmrelay gateway API</h1><p>Machine-readable: <a href='/openapi.json'>/openapi.json</a></p>"
        f"<table border='1' cellpadding='4'><tr><th>Method</th><th>Path</th><th>What</th></tr>{rows}</table>"
        "</body></html>"
    )
