"""Deeply nested JSON bodies (hardening issue, item 7): a body nested 100,000 levels deep was a 500
(RecursionError) — now every route family refuses a body nested past MAX_JSON_DEPTH with a 400 that
names the body, and a legitimately nested body (a structured-output schema) still passes."""

from __future__ import annotations

import http.client
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from llmrelay.config.loader import parse_config
from llmrelay.proxy.decode import BodyDecoder
from llmrelay.proxy.nesting import MAX_JSON_DEPTH, check_nesting
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import BadRequestError

MASTER_KEY = "sk-master-test"
sys.path.insert(0, str(Path(__file__).parent.parent / "keys"))


def nested(depth: int) -> Any:
    """An object `depth` levels deep in total once placed as a field of a body (the body is one)."""
    value: Any = {"leaf": ["x"]}
    for _ in range(depth - 2):
        value = {"a": value}
    return value


def raw_nested(depth: int) -> bytes:
    # built as bytes: json.dumps itself recurses and could not write 100,000 levels
    return b'{"a":' * depth + b"1" + b"}" * depth


def post(url: str, path: str, body: bytes, key: str = MASTER_KEY) -> tuple[int, dict[str, Any]]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"content-type": "application/json", "authorization": f"Bearer {key}", "x-api-key": key}
    conn.request("POST", path, body=body, headers=headers)
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply.status, json.loads(data) if data else {}


CHAT = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":%s}'
MESSAGES = b'{"model":"gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"metadata":%s}'
RESPONSES = b'{"model":"gpt-4o-mini","input":"hi","text":%s}'
EMBEDDINGS = b'{"model":"gpt-4o-mini","input":"hi","extra":%s}'
COMPLETIONS = b'{"model":"gpt-4o-mini","prompt":"hi","extra":%s}'
KEY_GENERATE = b'{"key_alias":"deep","metadata":%s}'

ROUTES = [
    ("/v1/chat/completions", CHAT),
    ("/v1/completions", COMPLETIONS),
    ("/v1/embeddings", EMBEDDINGS),
    ("/v1/messages", MESSAGES),
    ("/v1/responses", RESPONSES),
]


@pytest.fixture
def gateway(openai_sim: RunningSimulator, database_url: str, tmp_path: Path) -> Any:
    from keys_helpers import gateway_document

    document = gateway_document(database_url, openai_sim.api_base, openai_sim.api_key,
                                spend_spool_dir=str(tmp_path / "spool"))  # fmt: skip
    document["general_settings"]["master_key"] = MASTER_KEY
    gw = GatewayThread(parse_config(document, source="<test>")).start()
    try:
        yield gw
    finally:
        gw.stop()


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_every_route_family_refuses_deep_bodies_with_400(gateway: Any, depth: int) -> None:
    for path, template in [*ROUTES, ("/key/generate", KEY_GENERATE)]:
        # the field's value is `depth - 1` levels deep: the body as a whole is `depth` levels
        status, body = post(gateway.base_url, path, template % raw_nested(depth - 1))
        assert status == 400, (path, status, body)
        error = body["error"]
        assert "request body nests JSON" in error["message"], (path, error)
        assert str(MAX_JSON_DEPTH) in error["message"]


def test_deep_but_allowed_bodies_still_pass(gateway: Any) -> None:
    deepest_allowed = json.dumps(nested(MAX_JSON_DEPTH - 1)).encode()
    assert deepest_allowed.count(b"{") + deepest_allowed.count(b"[") == MAX_JSON_DEPTH - 1
    # metadata this deep is accepted (the route answers, the simulator replies)
    status, body = post(gateway.base_url, "/v1/chat/completions", CHAT % deepest_allowed)
    assert status == 200, body
    status, body = post(gateway.base_url, "/key/generate", KEY_GENERATE % deepest_allowed)
    assert status == 200, body


def test_check_nesting_counts_levels_not_brackets() -> None:
    # wide but shallow: thousands of brackets, two levels
    check_nesting(json.dumps({"a": [[1]] * 5000}).encode(), limit=3)
    # brackets inside strings are text, not structure
    check_nesting(json.dumps({"text": "[" * 5000}).encode(), limit=1)
    with pytest.raises(BadRequestError):
        check_nesting(json.dumps({"a": [[[1]]]}).encode(), limit=3)
    # malformed JSON is the decoder's to report
    check_nesting(b"[" * 500, limit=3)


def test_the_decoders_length_shortcut_lets_no_deep_body_through() -> None:
    # BodyDecoder skips the bracket count for bodies too short to nest past the limit: the shortest
    # valid body that does (one level more, opened and closed) is still refused
    decoder = BodyDecoder(ChatRequest)
    with pytest.raises(BadRequestError, match="nests JSON"):
        decoder.decode(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    # a chat whose metadata makes the body one level too deep
    chat = b'{"model":"m","messages":[],"metadata":' + raw_nested(MAX_JSON_DEPTH) + b"}"
    with pytest.raises(BadRequestError, match="nests JSON"):
        decoder.decode(chat)
    # a short body opening more levels than the limit and closing none is malformed JSON: a 400
    head = b'{"model":"m","messages":[],"metadata":'
    unclosed = head + b"[" * (2 * (MAX_JSON_DEPTH + 1) - 1 - len(head))
    assert unclosed.count(b"[") > MAX_JSON_DEPTH
    with pytest.raises(BadRequestError):
        decoder.decode(unclosed)


def _chat_with(where: str, value: Any) -> bytes:
    """A chat body of more than _NESTABLE bytes with `value` at one of the places typed Any."""
    body: dict[str, Any] = {
        "model": "m",
        "messages": [{"role": "system", "content": "be brief " * 40}, {"role": "user", "content": "hi"}],
    }
    if where == "tool parameters":
        body["tools"] = [{"type": "function", "function": {"name": "f", "parameters": value}}]
    elif where == "content part cache_control":
        body["messages"][1]["content"] = [{"type": "text", "text": "hi", "cache_control": value}]
    elif where == "response_format schema":
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": "s", "schema": value}}
    elif where == "metadata":
        body["metadata"] = value
    return json.dumps(body).encode()


# the level the Any-typed value itself sits at in each body (the body's object is level 1)
PLACES = {
    "tool parameters": 5,  # body → tools → [0] → function → parameters
    "content part cache_control": 6,  # body → messages → [1] → content → [0] → cache_control
    "response_format schema": 4,  # body → response_format → json_schema → schema
    "metadata": 2,
}


@pytest.mark.parametrize("where", sorted(PLACES))
def test_the_decoded_requests_any_fields_are_bounded_where_they_sit(where: str) -> None:
    """A value typed Any (where a typed decode lets depth through) is as deep as the level it sits
    at plus its own nesting, wherever in the request it is: the bound counts the whole body."""
    decoder = BodyDecoder(ChatRequest)
    level = PLACES[where]
    fits = nested(MAX_JSON_DEPTH - level + 1)  # its deepest container at MAX_JSON_DEPTH exactly
    body = _chat_with(where, fits)
    assert len(body) > 2 * (MAX_JSON_DEPTH + 1)  # past the short-body shortcut
    decoder.decode(body)
    with pytest.raises(BadRequestError, match="nests JSON"):
        decoder.decode(_chat_with(where, {"one more": fits}))
