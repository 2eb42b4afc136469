"""The OpenAPI document describes the gateway as it is: every route it serves and nothing else, the
request bodies generated from the Structs the handlers decode, path and query parameters, who may
call each route, and the error body every route answers with."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from openapi_gateway import MASTER_KEY, gateway_document

from llmrelay.config.loader import parse_config
from llmrelay.proxy.admin import schemas as admin_schemas
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.openapi import (
    AnthropicError,
    OpenAIError,
    RouteDoc,
    ServedRoute,
    UndocumentedRoute,
    gateway_docs,
    openapi_document,
)
from llmrelay.proxy.server import build_app
from llmrelay.testing import SimulatorGroup
from llmrelay.testing.gateway import GatewayThread
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.wire.anthropic.errors import error_body as anthropic_error_body

# the router's answer to a path it does not serve
NO_ROUTE = b"no route "


@pytest.fixture(scope="module")
def gateway(simulators: SimulatorGroup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayThread]:
    config = parse_config(gateway_document(simulators, tmp_path_factory.mktemp("openapi")), source="<test>")
    gw = GatewayThread(config, name="openapi-document").start()
    try:
        yield gw
    finally:
        gw.stop()


@pytest.fixture(scope="module")
def document(gateway: GatewayThread) -> dict[str, Any]:
    with urllib.request.urlopen(gateway.base_url + "/openapi.json", timeout=10) as reply:
        decoded: dict[str, Any] = msgspec.json.decode(reply.read())
    return decoded


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def _call_with_headers(
    base_url: str, method: str, path: str, body: bytes | None = b"{}"
) -> tuple[int, bytes, Any]:
    request = urllib.request.Request(
        base_url + path,
        method=method,
        headers={"authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"},
        data=body if method == "POST" else None,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read(), reply.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def _call(base_url: str, method: str, path: str, body: bytes | None = b"{}") -> tuple[int, bytes]:
    status, answer, _ = _call_with_headers(base_url, method, path, body)
    return status, answer


def test_every_served_route_is_documented_and_nothing_else(
    gateway: GatewayThread, document: dict[str, Any]
) -> None:
    app: GatewayApp = gateway.app
    documented = _operations(document)
    exact = app.route_table()
    templated = {(m, p) for m, p in documented if "{" in p}
    # every exact route the app answers is in the document; every documented exact route is served
    assert exact == documented - templated
    # every documented templated path is a prefix route of the app, and the other way round
    prefixes = {(r.method, r.path) for r in app.served_routes() if r.prefix}
    assert {(m, p[: p.index("{")]) for m, p in templated} == prefixes
    assert len(documented) > 80


def test_every_operation_is_a_valid_openapi_operation(document: dict[str, Any]) -> None:
    # Schemathesis reads each operation (its parameters, body and answers) without a schema error
    import schemathesis
    from schemathesis.core.result import Err

    results = list(schemathesis.openapi.from_dict(document).get_all_operations())
    assert [str(result.err()) for result in results if isinstance(result, Err)] == []
    assert len(results) == len(_operations(document))


def test_every_documented_operation_reaches_a_handler(
    gateway: GatewayThread, document: dict[str, Any]
) -> None:
    """Walk the document over HTTP: no operation it lists answers the router's 'no route'."""
    for method, path in sorted(_operations(document)):
        status, body = _call(gateway.base_url, method, path.replace("{", "x").replace("}", ""))
        assert status != 405 and not (status == 404 and NO_ROUTE in body), (method, path, status, body)


def test_a_405_allows_exactly_the_documented_methods(
    gateway: GatewayThread, document: dict[str, Any]
) -> None:
    # RFC 9110: a 405 carries Allow (Schemathesis' "wrong response to undeclared method" found it missing)
    for path, operations in document["paths"].items():
        undeclared = "PUT" if "patch" in operations else "PATCH"  # /organization/update serves PATCH
        status, body, headers = _call_with_headers(
            gateway.base_url, undeclared, path.replace("{", "").replace("}", "")
        )
        assert status == 405, (path, status, body)
        assert headers["allow"] == ", ".join(sorted(m.upper() for m in operations)), path


def test_request_bodies_are_the_decoded_structs(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path, struct in (
        ("/v1/chat/completions", ChatRequest),
        ("/chat/completions", ChatRequest),
        ("/key/generate", admin_schemas.GenerateKeyRequest),
        ("/team/member_add", admin_schemas.MemberAddRequest),
        ("/customer/new", admin_schemas.NewEndUserRequest),
    ):
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        schema = _resolve(document, body)
        fields = msgspec.structs.fields(struct)
        assert set(schema["properties"]) == {f.encode_name for f in fields}, path
        assert set(schema.get("required", [])) == {f.encode_name for f in fields if f.required}, path


def test_answers_are_the_encoded_structs_and_streams_are_events(document: dict[str, Any]) -> None:
    ok = document["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/ChatResponse"}
    # OpenAPI 3.1: an event stream's schema describes one event (what Schemathesis checks each against)
    event = ok["text/event-stream"]["schema"]
    assert event["type"] == "object" and event["required"] == ["data"]
    assert (
        "text/event-stream" not in document["paths"]["/v1/embeddings"]["post"]["responses"]["200"]["content"]
    )


def test_a_body_is_required_where_a_missing_one_is_refused(
    gateway: GatewayThread, document: dict[str, Any]
) -> None:
    paths = document["paths"]
    for path, required in (("/key/generate", False), ("/key/update", True), ("/v1/chat/completions", True)):
        assert paths[path]["post"]["requestBody"]["required"] is required, path
        status, body = _call(gateway.base_url, "POST", path, body=None)
        assert (status == 400) is required, (path, status, body)


def test_readiness_documents_its_503_as_its_own_answer(document: dict[str, Any]) -> None:
    # the 503 of /health/readiness is its status body ({"status": "unhealthy", ...}), not an error
    responses = document["paths"]["/health/readiness"]["get"]["responses"]
    assert responses["503"]["content"] == responses["200"]["content"]


def test_a_field_one_route_of_a_shared_struct_requires_is_required_there(document: dict[str, Any]) -> None:
    # /v1/messages and /v1/messages/count_tokens decode the same Struct; only the first needs max_tokens
    paths = document["paths"]
    messages = paths["/v1/messages"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    count = paths["/v1/messages/count_tokens"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert messages["allOf"] == [count, {"required": ["max_tokens"]}]
    assert "max_tokens" not in _resolve(document, count)["required"]


def test_parameters_are_typed_and_bounded(document: dict[str, Any]) -> None:
    paths = document["paths"]
    listing = {p["name"]: p for p in paths["/key/list"]["get"]["parameters"]}
    assert listing["size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert listing["page"]["in"] == "query" and not listing["page"]["required"]
    info = paths["/key/info"]["get"]["parameters"]
    assert [(p["name"], p["required"], p["schema"]["minLength"]) for p in info] == [("key", True, 1)]
    daily = {p["name"]: p for p in paths["/spend/daily"]["get"]["parameters"]}
    assert "organization_id" in daily and "model" in daily["group_by"]["schema"]["enum"]
    for path, name in (("/audit/{id}", "id"), ("/v1/models/{model}", "model"), ("/models/{model}", "model")):
        (param,) = paths[path]["get"]["parameters"]
        assert (param["name"], param["in"], param["required"]) == (name, "path", True)


def test_auth_and_error_bodies(document: dict[str, Any]) -> None:
    paths = document["paths"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer"}
    assert schemes["x_api_key"]["in"] == "header" and schemes["x_api_key"]["name"] == "x-api-key"
    for public in ("/health/liveliness", "/health/readiness", "/openapi.json", "/docs", "/ui"):
        assert paths[public]["get"]["security"] == [], public
        assert "401" not in paths[public]["get"]["responses"]
    assert paths["/v1/chat/completions"]["post"]["security"] == [{"bearer": []}]
    assert paths["/key/generate"]["post"]["security"] == [{"bearer": []}]
    assert {"x_api_key": []} in paths["/v1/messages"]["post"]["security"]
    # metrics: behind the key only when require_auth_for_metrics_endpoint says so
    assert paths["/metrics"]["get"]["security"] == []
    chat_401 = paths["/v1/chat/completions"]["post"]["responses"]["401"]["content"]["application/json"]
    assert _resolve(document, chat_401["schema"])["required"] == ["error"]
    messages_400 = paths["/v1/messages"]["post"]["responses"]["400"]["content"]["application/json"]
    assert chat_401["schema"] != messages_400["schema"]


def test_a_gateway_without_a_master_key_documents_no_auth(simulators: SimulatorGroup) -> None:
    # everyone is let in: the document must not ask for a key (nor promise a 401)
    document = {"model_list": [{"model_name": "m", "litellm_params": simulators.openai.sdk_kwargs()
                                | {"model": "openai/gpt-4o-mini"}}]}  # fmt: skip
    paths = build_app(parse_config(document, source="<test>")).openapi.document()["paths"]
    chat = paths["/v1/chat/completions"]["post"]
    assert chat["security"] == [] and "401" not in chat["responses"]
    assert paths["/v1/models/{model}"]["get"]["security"] == []


@pytest.mark.parametrize(
    "error",
    [
        errors.BadRequestError("bad", param="messages"),
        errors.AuthenticationError("who"),
        errors.NotFoundError("gone", code="model_not_found"),
        errors.RateLimitError("slow down", retry_after=3),
        errors.BadGatewayError("upstream"),
    ],
)
def test_the_documented_error_bodies_are_the_bodies_sent(error: errors.LLMError) -> None:
    # the error Structs the document is generated from describe what the gateway sends
    msgspec.convert(error.to_openai_body(), OpenAIError)
    msgspec.convert(anthropic_error_body(error), AnthropicError)


def test_a_route_without_a_description_stops_the_app(simulators: SimulatorGroup, tmp_path: Path) -> None:
    with pytest.raises(UndocumentedRoute, match="GET path /nowhere"):
        openapi_document("0", [ServedRoute("GET", "/nowhere", "openai")], gateway_docs())
    config = parse_config(gateway_document(simulators, tmp_path), source="<test>")
    app = build_app(config)
    state = app.state
    state.extra_routes.append(("GET", "/undocumented", app._routes[("GET", "/health")][0]))
    with pytest.raises(UndocumentedRoute, match="/undocumented"):
        GatewayApp(state)
    state.extra_routes.pop()
    state.extra_openapi[("GET", "/not-served")] = RouteDoc("listed but not served", "Test")
    assert "/not-served" not in GatewayApp(state).openapi.document()["paths"]
