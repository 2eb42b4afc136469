"""The stored side of the Responses dialect, pure: a request's input as stored items (ids, message
content as parts), the conversation a follow-up continues from (instructions not carried over,
tool calls and their outputs kept), input_items pages as OpenAI's query names them, and a stream
encoder whose final Response can be read (to store it) before its end is sent."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from openai.types.responses import ResponseItem
from test_responses_stream import call, chunk, wire_events

from llmrelay.types.errors import BadRequestError, ServiceUnavailableError
from llmrelay.types.responses import FunctionCallItem, OutputMessage, OutputText, Response
from llmrelay.wire.responses import (
    ResponsesStreamEncoder,
    encode_events,
    parse_responses_request,
    to_chat_request,
)
from llmrelay.wire.responses.items import ItemPage, conversation, output_items, page_items, request_items

SDK_ITEM: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ResponseItem)


def request(**body: Any) -> Any:
    return parse_responses_request({"model": "m", **body})


def test_a_string_input_is_one_user_message_with_an_id() -> None:
    (item,) = request_items(request(input="hello"))
    assert item["id"].startswith("msg_") and item["type"] == "message" and item["role"] == "user"
    assert item["content"] == [{"type": "input_text", "text": "hello"}]
    SDK_ITEM.validate_python(item)


def test_items_keep_their_ids_and_get_parts() -> None:
    items = request_items(
        request(
            input=[
                {"role": "user", "content": "q", "id": "msg_mine"},
                {"role": "assistant", "content": "a"},
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "42"},
            ]
        )
    )
    assert items[0]["id"] == "msg_mine"
    assert items[1]["content"] == [{"type": "output_text", "text": "a", "annotations": []}]
    assert items[2]["id"].startswith("fc_") and items[3]["id"].startswith("fco_")
    assert len({i["id"] for i in items}) == 4
    for item in items:
        SDK_ITEM.validate_python(item)


def test_a_follow_up_continues_the_conversation_without_old_instructions() -> None:
    first = request(instructions="old rules", input="first")
    answered = Response(
        id="resp_1", created_at=1, model="m",
        output=[OutputMessage(id="msg_a", content=[OutputText(text="answer")]),
                FunctionCallItem(id="fc_1", call_id="call_1", name="f", arguments='{"x":1}')],
    )  # fmt: skip
    history = conversation(request_items(first), output_items(answered))
    follow = request(
        instructions="new rules",
        previous_response_id="resp_1",
        input=[{"type": "function_call_output", "call_id": "call_1", "output": "done"}],
    )
    chat = to_chat_request(follow, history)
    shape = [(m.role, m.text(), [t.id for t in m.tool_calls or ()], m.tool_call_id) for m in chat.messages]
    assert shape == [
        ("system", "new rules", [], None),
        ("user", "first", [], None),
        ("assistant", "answer", ["call_1"], None),
        ("tool", "done", [], "call_1"),
    ]


def test_without_history_previous_response_id_is_refused() -> None:
    with pytest.raises(BadRequestError) as refused:
        to_chat_request(request(previous_response_id="resp_1", input="x"))
    assert refused.value.param == "previous_response_id"


def test_a_bad_new_item_is_named_by_its_own_index() -> None:
    history = request_items(request(input="first"))
    with pytest.raises(BadRequestError) as refused:
        to_chat_request(request(previous_response_id="resp_1", input=[{"type": "mystery"}]), history)
    assert refused.value.param == "input[0]"


ITEMS = [{"id": f"i{n}", "type": "message"} for n in range(5)]


@pytest.mark.parametrize(
    ("page", "ids", "more"),
    [
        (ItemPage(), ["i4", "i3", "i2", "i1", "i0"], False),
        (ItemPage(order="asc", limit=2), ["i0", "i1"], True),
        (ItemPage(order="asc", after="i1", limit=2), ["i2", "i3"], True),
        (ItemPage(order="asc", after="i3"), ["i4"], False),
        (ItemPage(after="i3"), ["i2", "i1", "i0"], False),
        (ItemPage(order="asc", before="i3"), ["i0", "i1", "i2"], False),
        (ItemPage(order="asc", after="i0", before="i3", limit=1), ["i1"], True),
        (ItemPage(order="asc", after="i3", before="i1"), [], False),
    ],
)
def test_input_items_pages(page: ItemPage, ids: list[str], more: bool) -> None:
    listed = page_items(ITEMS, page)
    assert [i["id"] for i in listed.data] == ids and listed.has_more is more
    assert listed.first_id == (ids[0] if ids else None) and listed.last_id == (ids[-1] if ids else None)


def test_a_page_after_an_unknown_item_is_refused() -> None:
    with pytest.raises(BadRequestError) as refused:
        page_items(ITEMS, ItemPage(after="nope"))
    assert refused.value.param == "after"


def _encoder() -> ResponsesStreamEncoder:
    return ResponsesStreamEncoder(request(input="x"), "m", "resp_fixed")


CHUNKS = [
    chunk(content="Hi"),
    chunk(tool_calls=[call(0, "call_1", "f", '{"a":')]),
    chunk(tool_calls=[call(0, args="1}")]),
]


def test_close_output_gives_the_final_response_before_the_end() -> None:
    plain, early = _encoder(), _encoder()
    events = [e for c in CHUNKS for e in plain.feed(c)] + plain.finish()
    fed = [e for c in CHUNKS for e in early.feed(c)]
    final = early.close_output()
    assert early.close_output() is final  # once
    events_early = fed + early.finish()
    assert [e["type"] for e in events_early] == [e["type"] for e in events]
    assert events_early[-1]["response"] is final and final.id == "resp_fixed"
    assert [type(item).__name__ for item in final.output] == ["OutputMessage", "FunctionCallItem"]
    wire_events(encode_events(events_early))  # valid for the SDK


def test_a_failure_after_close_output_still_closes_the_items() -> None:
    encoder = _encoder()
    fed = [e for c in CHUNKS for e in encoder.feed(c)]
    encoder.close_output()
    events = fed + encoder.fail(ServiceUnavailableError("store down"))
    kinds = [e["type"] for e in events]
    assert kinds[-2:] == ["error", "response.failed"]
    assert kinds.count("response.output_item.done") == 2
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    wire_events(encode_events(events))
