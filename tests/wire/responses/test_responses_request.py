"""Responses API request → ChatRequest: every mapped field, the conversation built from input items,
and the refusals (built-in tools, stateful fields, unknown items) as 400s naming the field."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from llmrelay.types.chat import FilePart, ImagePart, NamedToolChoice, TextPart
from llmrelay.types.errors import BadRequestError
from llmrelay.wire.responses import decode_request


def chat(**body: Any) -> Any:
    body.setdefault("model", "m")
    body.setdefault("input", "hi")
    return decode_request(json.dumps(body).encode())[1]


def refused(**body: Any) -> BadRequestError:
    with pytest.raises(BadRequestError) as caught:
        chat(**body)
    assert caught.value.status_code == 400
    return caught.value


def test_string_input_and_instructions() -> None:
    request = chat(input="Where do penguins live?", instructions="Answer briefly.")
    assert [m.to_dict() for m in request.messages] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Where do penguins live?"},
    ]


def test_settings_map_to_chat_fields() -> None:
    request = chat(
        temperature=0.3, top_p=0.9, max_output_tokens=77, parallel_tool_calls=False, user="u1",
        reasoning={"effort": "high", "summary": "auto"}, stream=True, store=True, service_tier="flex",
        metadata={"k": "v"}, truncation="auto", include=["reasoning.encrypted_content"],
    )  # fmt: skip
    assert (request.temperature, request.top_p, request.max_tokens) == (0.3, 0.9, 77)
    assert request.parallel_tool_calls is False and request.user == "u1"
    assert request.reasoning_effort == "high" and request.stream is True
    assert request.service_tier == "flex"
    # stateless: nothing is stored, and store is not forwarded to the provider
    assert request.store is None and request.metadata is None
    hinted = chat(safety_identifier="hashed-user", prompt_cache_key="k7", text={"verbosity": "low"})
    assert (hinted.safety_identifier, hinted.prompt_cache_key) == ("hashed-user", "k7")
    assert hinted.verbosity == "low"
    assert hinted.user is None


def test_text_format_maps_to_response_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    fmt = {"type": "json_schema", "name": "thing", "schema": schema, "strict": True, "description": "d"}
    rf = chat(text={"format": fmt}).response_format
    assert rf is not None and rf.type == "json_schema" and rf.json_schema is not None
    assert (rf.json_schema.name, rf.json_schema.schema, rf.json_schema.strict) == ("thing", schema, True)
    assert rf.json_schema.description == "d"
    json_object = chat(text={"format": {"type": "json_object"}}).response_format
    assert json_object is not None and json_object.type == "json_object"
    assert chat(text={"format": {"type": "text"}}).response_format is None
    assert refused(text={"format": {"type": "json_schema", "schema": schema}}).param == "text.format.name"
    assert refused(text={"format": {"type": "xml"}}).param == "text.format.type"


def test_message_items_and_content_parts() -> None:
    request = chat(
        input=[
            {"role": "developer", "content": "be terse"},
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "look: "},
                {"type": "input_image", "image_url": "https://x/cat.png", "detail": "low"},
                {"type": "input_file", "file_id": "file-1"},
                {"type": "input_file", "file_data": "data:application/pdf;base64,QUJD", "filename": "a.pdf"},
                {"type": "input_file", "file_url": "https://x/doc.pdf"},
            ]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "a cat"},
                                              {"type": "refusal", "refusal": " and no more"}]},
            {"role": "system", "content": "late system note"},
        ]
    )  # fmt: skip
    dev, user, assistant, system = request.messages
    assert dev.role == "developer" and dev.content == "be terse"
    assert isinstance(user.content, list)
    text, image, by_id, by_data, by_url = user.content
    assert isinstance(text, TextPart) and text.text == "look: "
    assert isinstance(image, ImagePart) and (image.image_url.url, image.image_url.detail) == (
        "https://x/cat.png",
        "low",
    )
    assert isinstance(by_id, FilePart) and by_id.file.file_id == "file-1"
    assert isinstance(by_data, FilePart) and by_data.file.file_data == "data:application/pdf;base64,QUJD"
    assert by_data.file.filename == "a.pdf"
    assert isinstance(by_url, FilePart) and by_url.file.file_data == "https://x/doc.pdf"
    assert (
        assistant.role == "assistant" and assistant.content == "a cat" and assistant.refusal == " and no more"
    )
    assert system.role == "system"


def test_function_calls_join_one_assistant_turn_and_outputs_become_tool_messages() -> None:
    request = chat(
        input=[
            {"role": "user", "content": "weather in Lima and Oslo?"},
            {"type": "message", "role": "assistant",
             "content": [{"type": "output_text", "text": "checking"}]},
            {"type": "function_call", "call_id": "c1", "name": "w", "arguments": '{"city":"Lima"}',
             "id": "fc_1"},
            {"type": "function_call", "call_id": "c2", "name": "w", "arguments": '{"city":"Oslo"}'},
            {"type": "function_call_output", "call_id": "c1", "output": "18C"},
            {"type": "function_call_output", "call_id": "c2",
             "output": [{"type": "input_text", "text": "-2C"}]},
        ]
    )  # fmt: skip
    _, assistant, first, second = request.messages
    assert assistant.content == "checking"
    assert [(c.id, c.function.name, c.function.arguments) for c in assistant.tool_calls or []] == [
        ("c1", "w", '{"city":"Lima"}'),
        ("c2", "w", '{"city":"Oslo"}'),
    ]
    assert (first.role, first.tool_call_id, first.content) == ("tool", "c1", "18C")
    assert second.tool_call_id == "c2" and isinstance(second.content, list)
    assert second.content[0] == TextPart(text="-2C")


def test_text_after_tool_calls_starts_a_new_assistant_turn() -> None:
    request = chat(
        input=[
            {"role": "user", "content": "q"},
            {"type": "function_call", "call_id": "c1", "name": "w", "arguments": "{}"},
            {"role": "assistant", "content": "and then"},
        ]
    )
    assert [(m.role, m.content, bool(m.tool_calls)) for m in request.messages] == [
        ("user", "q", False),
        ("assistant", None, True),
        ("assistant", "and then", False),
    ]


def test_reasoning_items_give_the_next_turn_its_reasoning_and_signed_thinking() -> None:
    blocks = [{"type": "thinking", "thinking": "hmm", "signature": "sig-1"}]
    encrypted = base64.b64encode(json.dumps(blocks).encode()).decode()
    request = chat(
        input=[
            {"role": "user", "content": "q"},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "hmm"}],
             "encrypted_content": encrypted},
            {"type": "function_call", "call_id": "c1", "name": "w", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"},
            # OpenAI's own encrypted reasoning cannot be used by another model: dropped, not an error
            {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "gAAAA-opaque"},
            {"role": "assistant", "content": "done"},
        ]
    )  # fmt: skip
    _, calling, _, answer = request.messages
    assert calling.reasoning_content == "hmm" and calling.thinking_blocks == blocks
    assert calling.tool_calls is not None and calling.tool_calls[0].id == "c1"
    assert answer.content == "done" and answer.thinking_blocks is None


def test_function_tools_and_tool_choice() -> None:
    tool = {"type": "function", "name": "w", "description": "weather", "strict": True,
            "parameters": {"type": "object", "properties": {}}}  # fmt: skip
    request = chat(tools=[tool], tool_choice={"type": "function", "name": "w"})
    (mapped,) = request.tools or []
    assert mapped.type == "function"
    assert (mapped.function.name, mapped.function.description, mapped.function.strict) == (
        "w",
        "weather",
        True,
    )
    assert mapped.function.parameters == tool["parameters"]
    assert isinstance(request.tool_choice, NamedToolChoice) and request.tool_choice.function.name == "w"
    for choice in ("none", "auto", "required"):
        assert chat(tools=[tool], tool_choice=choice).tool_choice == choice


def test_built_in_tools_are_refused_by_name() -> None:
    error = refused(
        tools=[{"type": "web_search"}, {"type": "function", "name": "f"}, {"type": "file_search"}]
    )
    assert "web_search" in error.message and "file_search" in error.message and error.param == "tools"
    assert refused(tool_choice={"type": "allowed_tools", "mode": "auto", "tools": []}).param == "tool_choice"
    assert refused(tool_choice="sometimes").param == "tool_choice"
    assert refused(tools=[{"type": "function"}]).param == "tools[0].name"


@pytest.mark.parametrize(
    ("field", "value"),
    [("previous_response_id", "resp_1"), ("conversation", "conv_1"), ("background", True),
     ("prompt", {"id": "pmpt_1"})],
)  # fmt: skip
def test_stateful_fields_are_refused(field: str, value: Any) -> None:
    error = refused(**{field: value})
    assert error.param == field and field.split("_")[0] in error.message


def test_bad_items_name_their_path() -> None:
    assert refused(input=[{"type": "item_reference", "id": "msg_1"}]).param == "input[0]"
    assert "computer_call" in refused(input=[{"type": "computer_call"}]).message
    assert refused(input=[{"role": "user", "content": "a"}, {"role": "wizard", "content": "b"}]).param == (
        "input[1].role"
    )
    image = refused(input=[{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}])
    assert image.param == "input[0].content[0].image_url"
    assert refused(input=[{"type": "function_call", "name": "f"}]).param is not None
    assert refused(input=[]).param == "input"
    assert refused(input=["just a string"]).param == "input[0]"


def test_invalid_body() -> None:
    with pytest.raises(BadRequestError, match="not valid JSON"):
        decode_request(b"{nope")
    with pytest.raises(BadRequestError) as missing:
        decode_request(b'{"input": "x"}')
    assert "model" in missing.value.message
