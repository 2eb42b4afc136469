"""A route as its routes module declares it: method, path, handler, who may call it and its OpenAPI
description, in one value. The app registers every declared route and documents it from the same
value, so a new route is one declaration where its handler is (no line in the app's table, none in
the OpenAPI table)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, get_args

import msgspec

from llmrelay.calls.operation import Operation
from llmrelay.calls.principal import Principal
from llmrelay.proxy.http import Request
from llmrelay.proxy.openapi import UPSTREAM_ERRORS, Auth, RouteDoc
from llmrelay.types.files import FileUpload

Handler = Callable[[Request, Principal], Awaitable[None]]


MULTIPART = "multipart/form-data"


def takes_files(request_type: type) -> bool:
    """Whether the request has a file field, or one of files (and so comes as multipart/form-data)."""
    return any(_holds_file(f.type) for f in msgspec.structs.fields(request_type))


def _holds_file(annotation: Any) -> bool:
    # FileUpload itself, or inside an Optional, a union, a list or an Annotated
    return annotation is FileUpload or any(_holds_file(arg) for arg in get_args(annotation))


@dataclass(frozen=True, slots=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    auth: Auth
    doc: RouteDoc
    # a /v1 route is also served without the prefix (as LiteLLM's proxy does)
    v1_alias: bool = True


def call_route(
    path: str,
    operation: Operation[Any, Any],
    handler: Handler,
    summary: str,
    *,
    content_type: str = "application/json",
) -> RouteSpec:
    """The route of a call type in the OpenAI dialect, described from its Operation row: the body is
    the row's request type, the answer its response type (when the answer is JSON), an event stream
    when the row streams, and the upstream's failures relayed. A request type with a file field is
    sent as multipart/form-data."""
    json_answer = content_type == "application/json"
    doc = RouteDoc(
        summary,
        "OpenAI",
        operation.request_type,
        operation.response_type if json_answer else None,
        streams=operation.streams,
        content_type=content_type,
        errors=UPSTREAM_ERRORS,
        body_content_type=MULTIPART if takes_files(operation.request_type) else "application/json",
    )
    return RouteSpec("POST", path, handler, "openai", doc)
