"""The call types' routes are declared once (proxy/route_table.py): every Operation row has one, the
app serves it (with its un-prefixed alias) and documents it from the row — its body the row's
request type (a form for one that takes a file), its answer the row's response type, an event
stream exactly when the row streams — and the package exports each one-piece SDK call and each row's
response type without a line of its own."""

from __future__ import annotations

import inspect

from fake_router import FakeRouter

import llmrelay
from llmrelay.calls.operation import IMAGE_VARIATION, OPERATIONS, TRANSCRIPTION
from llmrelay.config.schema import GeneralSettings
from llmrelay.functions import ONE_SHOT_CALLS
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.state import GatewayState
from llmrelay.router.sdk import OneShotCalls


def _app() -> GatewayApp:
    return GatewayApp(GatewayState(router=FakeRouter(), settings=GeneralSettings()), version="test")


def test_every_operation_has_a_route_served_and_documented_from_its_row() -> None:
    app = _app()
    document = app.openapi.document()
    schemas = document["components"]["schemas"]
    by_operation = {}
    for operation in OPERATIONS:
        # the route whose body is the row's request type
        [path] = [
            p
            for p, ops in document["paths"].items()
            if p.startswith("/v1/") and _body_of(ops) == operation.request_type.__name__
        ]
        by_operation[operation.name] = path
        assert {("POST", path), ("POST", path[3:])} <= app.route_table()
        post = document["paths"][path]["post"]
        answer = post["responses"]["200"]["content"]
        assert ("text/event-stream" in answer) is operation.streams, operation.name
        if "application/json" in answer:
            assert answer["application/json"]["schema"]["$ref"].endswith(
                "/" + operation.response_type.__name__
            )
    assert by_operation["image_variation"] == "/v1/images/variations"
    assert by_operation["image_edit"] == "/v1/images/edits"
    assert by_operation["transcription"] == "/v1/audio/transcriptions"
    assert by_operation["translation"] == "/v1/audio/translations"
    for path in (
        "/v1/images/variations",
        "/v1/images/edits",
        "/v1/audio/transcriptions",
        "/v1/audio/translations",
    ):
        form = document["paths"][path]["post"]["requestBody"]["content"]
        assert list(form) == ["multipart/form-data"], path
    assert schemas["FileUpload"] == {"type": "string", "format": "binary", "title": "FileUpload"}


def _body_of(operations: dict[str, dict[str, object]]) -> str | None:
    post = operations.get("post")
    if post is None or "requestBody" not in post:
        return None
    content = post["requestBody"]["content"]  # type: ignore[index]
    [schema] = [c["schema"] for c in content.values()]
    ref = schema.get("$ref", "")
    return str(ref).rsplit("/", 1)[-1] or None


def test_the_one_piece_sdk_calls_are_exported_from_their_one_declaration() -> None:
    public = {name for name in vars(OneShotCalls) if not name.startswith("_")}
    assert public == ONE_SHOT_CALLS
    assert {"image_variation", "aimage_variation", "speech", "aspeech", "transcription", "atranscription",
            "translation", "atranslation", "image_edit", "aimage_edit"} <= public  # fmt: skip
    names = set(llmrelay.__all__)
    assert public <= names
    assert {op.response_type.__name__ for op in OPERATIONS} <= names
    for name in public:
        function = getattr(llmrelay, name)
        method = getattr(OneShotCalls, name)
        # the module function has the method's signature without `self`, and its docstring
        assert list(inspect.signature(function).parameters) == list(inspect.signature(method).parameters)[1:]
        assert function.__doc__ == method.__doc__
        assert inspect.iscoroutinefunction(function) is inspect.iscoroutinefunction(method)
    assert llmrelay.ImageResponse is IMAGE_VARIATION.response_type
    assert llmrelay.TranscriptionResponse is TRANSCRIPTION.response_type
