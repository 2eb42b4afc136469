"""Streaming through the HTTP layer over a fake router: relay, keep-alive, mid-stream errors, disconnect."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

from fake_router import FakeRouter
from harness import MASTER_KEY

from llmrelay.wire.sse import SSEParser


def raw_stream_request(url: str, body: dict, path: str = "/v1/chat/completions") -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\n"
        f"authorization: Bearer {MASTER_KEY}\r\ncontent-length: {len(data)}\r\n\r\n"
    ).encode()
    sock.sendall(head + data)
    return sock


def read_all(sock: socket.socket) -> bytes:
    out = b""
    while True:
        part = sock.recv(65536)
        if not part:
            break
        out += part
    sock.close()
    return out


def events_of(raw: bytes) -> list:
    _, _, body = raw.partition(b"\r\n\r\n")
    # undo chunked transfer encoding
    payload = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        payload += rest[:size]
        body = rest[size + 2 :]
    parser = SSEParser()
    return parser.feed(payload) + parser.end()


def chat(stream: bool = True, **over):
    return {"model": "gpt", "messages": [{"role": "user", "content": "hi"}], "stream": stream, **over}


def test_chunks_are_relayed_and_done_ends(serve_fake):
    url, _ = serve_fake(FakeRouter(chunks=4))
    raw = read_all(raw_stream_request(url, chat()))
    assert b"text/event-stream" in raw.split(b"\r\n\r\n")[0]
    assert b"x-llmrelay-provider: openai" in raw.split(b"\r\n\r\n")[0].lower()
    events = events_of(raw)
    texts = [json.loads(e.data)["choices"][0]["delta"].get("content") for e in events[:-1]]
    assert texts == ["echo: hi[0]", "echo: hi[1]", "echo: hi[2]", "echo: hi[3]", None]
    assert events[-1].data == "[DONE]"


def test_keepalive_comments_while_first_token_is_slow(serve_fake):
    url, _ = serve_fake(FakeRouter(first_token_delay=0.35), stream_keepalive_seconds=0.1)
    raw = read_all(raw_stream_request(url, chat()))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0]
    assert body.count(b": keep-alive") >= 2
    assert events_of(raw)[-1].data == "[DONE]"


def test_error_after_keepalive_is_an_error_event(serve_fake):
    url, _ = serve_fake(FakeRouter(route_delay=0.3), stream_keepalive_seconds=0.05)
    raw = read_all(raw_stream_request(url, chat(model="unknown")))
    assert b" 200 " in raw.split(b"\r\n")[0]
    assert b": keep-alive" in raw
    events = events_of(raw)
    assert "not found" in json.loads(events[-1].data)["error"]["message"]


def test_error_before_keepalive_keeps_its_status(serve_fake):
    url, _ = serve_fake(FakeRouter(), stream_keepalive_seconds=5)
    raw = read_all(raw_stream_request(url, chat(model="unknown")))
    assert b" 404 " in raw.split(b"\r\n")[0]


def test_mid_stream_error_becomes_error_event(serve_fake):
    url, _ = serve_fake(FakeRouter(chunks=5, fail_after=2))
    events = events_of(read_all(raw_stream_request(url, chat())))
    assert json.loads(events[-1].data)["error"]["message"].endswith("upstream broke mid-stream")
    assert all(e.data != "[DONE]" for e in events)


def test_client_disconnect_closes_the_upstream_stream(serve_fake):
    router = FakeRouter(chunks=1000, chunk_delay=0.01)
    url, _ = serve_fake(router)
    sock = raw_stream_request(url, chat())
    received = b""
    while b"echo: hi[0]" not in received:
        received += sock.recv(65536)
    sock.close()
    deadline = time.monotonic() + 5
    while router.closed_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert router.closed_streams == 1
