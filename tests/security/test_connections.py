"""Connections that hold a worker without sending anything (hardening issue, item 4): a silent
socket stayed open past 90 s, a body stalled after its headers past 75 s, and with the open-files
limit reached (300 idle sockets under `prlimit --nofile=256`) every request timed out. Each test
here runs the real server (`llmrelay serve`, Granian, its own process) on loopback, bounded in count
and time, and stops it."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from edge_helpers import MASTER_KEY, FakeRouter, serving_fake, serving_process

from llmrelay.proxy.connections import RESERVED_FILES, connection_cap
from llmrelay.testing import RunningSimulator

IDLE_SECONDS = 1.5
BODY_SECONDS = 1.0


def document(sim: RunningSimulator, **general: Any) -> dict[str, Any]:
    params = {"model": "openai/gpt-4o-mini", "api_base": sim.api_base, "api_key": sim.api_key}
    return {
        "model_list": [{"model_name": "gpt", "litellm_params": params}],
        "general_settings": {
            "master_key": MASTER_KEY,
            "connection_idle_timeout_seconds": IDLE_SECONDS,
            "request_body_timeout_seconds": BODY_SECONDS,
            **general,
        },
    }


def seconds_until_closed(sock: socket.socket, limit: float) -> tuple[float, bytes]:
    """Read until the server closes the socket; (seconds it took, what was received)."""
    start = time.monotonic()
    sock.settimeout(limit)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return limit, received
    except ConnectionResetError:
        pass
    return time.monotonic() - start, received


def chat_status(port: int, timeout: float = 10) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    body = json.dumps({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]})
    try:
        headers = {"authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"}
        conn.request("POST", "/v1/chat/completions", body=body, headers=headers)
        reply = conn.getresponse()
        reply.read()
        return reply.status
    finally:
        conn.close()


@pytest.fixture
def server(openai_sim: RunningSimulator, tmp_path: Path) -> Any:
    with serving_process(tmp_path, document(openai_sim)) as running:
        yield running


def test_a_silent_connection_is_closed_within_the_idle_timeout(server: Any) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        took, received = seconds_until_closed(sock, IDLE_SECONDS + 5)
    assert received == b""
    assert IDLE_SECONDS * 0.5 <= took <= IDLE_SECONDS + 2, took


def test_headers_sent_slowly_are_cut_at_the_idle_timeout(server: Any) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n")
        took, _ = seconds_until_closed(sock, IDLE_SECONDS + 5)
    assert took <= IDLE_SECONDS + 2, took


def test_a_kept_alive_connection_is_closed_when_idle(server: Any) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /health/liveliness HTTP/1.1\r\nhost: x\r\n\r\n")
        took, received = seconds_until_closed(sock, IDLE_SECONDS + 5)
    assert received.startswith(b"HTTP/1.1 200")
    assert took <= IDLE_SECONDS + 2, took


def test_a_stalled_body_gets_408_and_the_connection_closed(server: Any) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"authorization: Bearer " + MASTER_KEY.encode() + b'\r\ncontent-length: 100\r\n\r\n{"mo'
        )
        took, received = seconds_until_closed(sock, BODY_SECONDS + 10)
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert b"request_body_timeout_seconds" in received
    assert took <= BODY_SECONDS + 3, took


def test_idle_sockets_from_one_address_do_not_stop_another_client(server: Any) -> None:
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(200)]
    try:
        start = time.monotonic()
        assert chat_status(server.port) == 200
        # served at once, not after the idle sockets were closed
        assert time.monotonic() - start < IDLE_SECONDS
    finally:
        for sock in idle:
            sock.close()


def test_at_the_open_files_limit_requests_are_still_served(
    openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    # 300 silent sockets against a worker allowed 256 open files: it accepts at most
    # 256 - RESERVED_FILES of them, closes them after the idle timeout, and serves the next client
    with serving_process(tmp_path, document(openai_sim), nofile=256) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(300)]
        try:
            rounds = -(-300 // connection_cap(1024, 256))
            assert chat_status(server.port, timeout=rounds * IDLE_SECONDS + 10) == 200
            # and once the idle sockets are gone, at once
            for sock in idle:
                sock.close()
            start = time.monotonic()
            assert chat_status(server.port) == 200
            assert time.monotonic() - start < 2
        finally:
            for sock in idle:
                sock.close()


def test_connection_cap_fits_the_open_files_limit() -> None:
    assert connection_cap(1024, 20_000) == 1024
    assert connection_cap(1024, 256) == 256 - RESERVED_FILES
    assert connection_cap(1024, 100) == 16


def liveliness(port: int) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/health/liveliness")
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        conn.close()


def test_one_address_cannot_hold_every_request_slot() -> None:
    router = FakeRouter(route_delay=2.0)
    with serving_fake(router, max_requests_per_client=2) as url:
        port = int(url.rsplit(":", 1)[1])
        slow = [threading.Thread(target=chat_status, args=(port,)) for _ in range(2)]
        for thread in slow:
            thread.start()
        deadline = time.monotonic() + 5
        while len(router.calls) < 2:
            assert time.monotonic() < deadline, "the slow calls did not start"
            time.sleep(0.01)
        status, body = liveliness(port)
        assert status == 429
        assert body["error"]["code"] == "too_many_requests_from_client"
        assert "max_requests_per_client" in body["error"]["message"]
        for thread in slow:
            thread.join(10)
        # the slots are given back when the calls end
        assert liveliness(port)[0] == 200


def test_a_stalled_body_gets_408_in_process() -> None:
    with serving_fake(request_body_timeout_seconds=0.5) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                b"POST /v1/embeddings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer "
                + MASTER_KEY.encode()
                + b"\r\ncontent-length: 50\r\n\r\n{"
            )
            took, received = seconds_until_closed(sock, 10)
        assert received.startswith(b"HTTP/1.1 408"), received[:300]
        assert took < 3
