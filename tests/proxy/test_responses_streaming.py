"""POST /v1/responses through the HTTP layer over a fake router: the relay's keep-alives, errors
before and after the stream opened, mid-stream failures and client disconnects, in the Responses
dialect; the route's call metadata."""

from __future__ import annotations

import json
import time
from typing import Any

from fake_router import FakeRouter
from test_streaming import events_of, raw_stream_request, read_all

PATH = "/v1/responses"


def body(stream: bool = True, **over: Any) -> dict[str, Any]:
    return {"model": "gpt", "input": "hi", "stream": stream, **over}


def payloads(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for event in events_of(raw):
        data = json.loads(event.data)
        assert event.event == data["type"]
        out.append(data)
    return out


def test_stream_is_relayed_as_responses_events(serve_fake):
    url, router = serve_fake(FakeRouter(chunks=3))
    raw = read_all(raw_stream_request(url, body(metadata={"team": "a"}), PATH))
    head = raw.split(b"\r\n\r\n")[0].lower()
    assert b"text/event-stream" in head and b"x-llmrelay-provider: openai" in head
    events = payloads(raw)
    assert events[0]["type"] == "response.created" and events[-1]["type"] == "response.completed"
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == "echo: hi[0]echo: hi[1]echo: hi[2]"
    assert events[-1]["response"]["metadata"] == {"team": "a"}
    request, metadata = router.calls[0]
    # usage is asked for, so response.completed can report it; the request metadata reaches the router
    assert request.stream_options.include_usage is True
    assert metadata["team"] == "a" and metadata["endpoint"] == PATH


def test_keepalive_then_events(serve_fake):
    url, _ = serve_fake(FakeRouter(first_token_delay=0.35), stream_keepalive_seconds=0.1)
    raw = read_all(raw_stream_request(url, body(), PATH))
    assert b" 200 " in raw.split(b"\r\n")[0] and raw.count(b": keep-alive") >= 2
    assert payloads(raw)[-1]["type"] == "response.completed"


def test_error_after_keepalive_is_error_then_response_failed(serve_fake):
    url, _ = serve_fake(FakeRouter(route_delay=0.3), stream_keepalive_seconds=0.05)
    events = payloads(read_all(raw_stream_request(url, body(model="unknown"), PATH)))
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "error",
        "response.failed",
    ]
    assert "not found" in events[2]["message"]
    assert events[-1]["response"]["status"] == "failed"


def test_error_before_keepalive_keeps_its_status_and_openai_shape(serve_fake):
    url, _ = serve_fake(FakeRouter(), stream_keepalive_seconds=5)
    raw = read_all(raw_stream_request(url, body(model="unknown"), PATH))
    assert b" 404 " in raw.split(b"\r\n")[0]
    error = json.loads(raw.partition(b"\r\n\r\n")[2])["error"]
    assert "not found" in error["message"]


def test_mid_stream_error(serve_fake):
    url, _ = serve_fake(FakeRouter(chunks=5, fail_after=2))
    events = payloads(read_all(raw_stream_request(url, body(), PATH)))
    assert [e["type"] for e in events][-2:] == ["error", "response.failed"]
    assert events[-2]["message"].endswith("upstream broke mid-stream")
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def test_bad_request_is_a_400_naming_the_field(serve_fake):
    url, router = serve_fake(FakeRouter())
    raw = read_all(raw_stream_request(url, body(tools=[{"type": "code_interpreter"}]), PATH))
    assert b" 400 " in raw.split(b"\r\n")[0]
    error = json.loads(raw.partition(b"\r\n\r\n")[2])["error"]
    assert "code_interpreter" in error["message"] and error["param"] == "tools"
    assert router.calls == []


def test_client_disconnect_closes_the_upstream_stream(serve_fake):
    router = FakeRouter(chunks=1000, chunk_delay=0.01)
    url, _ = serve_fake(router)
    sock = raw_stream_request(url, body(), PATH)
    received = b""
    while b"echo: hi[0]" not in received:
        received += sock.recv(65536)
    sock.close()
    deadline = time.monotonic() + 5
    while router.closed_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert router.closed_streams == 1
