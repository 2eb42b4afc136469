"""Field names and types checked against AWS's own service model of the Bedrock Runtime (the
`bedrock-runtime` 2023-09-30 model that botocore ships): the adapter's request bodies, and the
simulator's answers and stream events, must validate against the official shapes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape
from botocore.validate import ParamValidator
from helpers import MODEL, body_of, chat

from llmrelay.testing.bedrock_sim import BedrockSimulator

SERVICE = ServiceModel(Loader().load_service_model("bedrock-runtime", "service-2"))
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
CITY = {"type": "object", "properties": {"city": {"type": "string"}}}
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": CITY}}


def blobs_to_bytes(value: Any, shape: Shape) -> Any:
    """JSON carries blobs as base64 strings; botocore's validator wants bytes."""
    if shape.type_name == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: blobs_to_bytes(v, members[k]) if k in members else v for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [blobs_to_bytes(v, shape.member) for v in value]
    return value


def check(value: dict[str, Any], shape: Shape) -> None:
    report = ParamValidator().validate(blobs_to_bytes(value, shape), shape)
    assert not report.has_errors(), report.generate_report()


CONVERSATION: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Look", "cache_control": {"type": "ephemeral"}},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ],
    },
    {
        "role": "assistant",
        "content": "Checking.",
        "thinking_blocks": [{"type": "thinking", "thinking": "hm", "signature": "s"}],
        "tool_calls": [
            {
                "id": "t1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
]


def test_the_check_catches_a_wrong_field() -> None:
    shape = SERVICE.operation_model("Converse").input_shape
    wrong = {"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "x"}]}],
             "inferenceConfig": {"max_tokens": 5}}  # fmt: skip
    with pytest.raises(AssertionError, match="Unknown parameter"):
        check(wrong, shape)


@pytest.mark.parametrize("operation", ["Converse", "ConverseStream"])
def test_request_bodies_match_the_service_model(operation: str) -> None:
    request = chat(
        messages=CONVERSATION, tools=[TOOL], tool_choice="auto", max_tokens=100, temperature=0.5, top_p=0.9,
        stop=["END"], top_k=5, reasoning_effort="low",
        response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        extra_body={"guardrailConfig": {"guardrailIdentifier": "g", "guardrailVersion": "1"},
                    "requestMetadata": {"team": "a"}},
    )  # fmt: skip
    body = body_of(request)
    check({"modelId": MODEL, **body}, SERVICE.operation_model(operation).input_shape)


def test_simulator_answers_match_the_service_model() -> None:
    sim = BedrockSimulator()
    from llmrelay.testing.base import Call

    for messages, tools in ((CONVERSATION[:2], None), (CONVERSATION[:2], [TOOL])):
        request = chat(messages=messages, tools=tools, reasoning_effort="low")
        body = body_of(request)
        call = Call(f"/model/{MODEL}/converse", {}, {}, body, {"target": f"{MODEL}/converse"}, None)
        reply = sim.converse(MODEL, call, 10, stream=False)
        check(reply.body, SERVICE.operation_model("Converse").output_shape)  # type: ignore[union-attr]


def test_simulator_stream_events_match_the_service_model() -> None:
    from botocore.eventstream import EventStreamBuffer

    from llmrelay.testing.base import Call

    sim = BedrockSimulator()
    stream_shape = SERVICE.operation_model("ConverseStream").output_shape.members["stream"]
    body = body_of(chat(messages=CONVERSATION[:2], tools=[TOOL], reasoning_effort="low"))
    call = Call(f"/model/{MODEL}/converse-stream", {}, {}, body, {}, None)
    buffer = EventStreamBuffer()
    buffer.add_data(b"".join(sim.converse(MODEL, call, 10, stream=True).events))  # type: ignore[union-attr]
    seen = []
    for message in buffer:
        name = message.headers[":event-type"]
        seen.append(name)
        check(json.loads(message.payload), stream_shape.members[name])
    assert seen[0] == "messageStart" and seen[-2:] == ["messageStop", "metadata"]
    assert "contentBlockStart" in seen and "contentBlockDelta" in seen
