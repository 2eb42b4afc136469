"""The HTTP layer's behaviour at the edges, over a fake router: statuses, error bodies, headers."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from harness import MASTER_KEY


def call(url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         key: str | None = MASTER_KEY) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    hdrs = {"content-type": "application/json", **(headers or {})}
    if key is not None:
        hdrs["authorization"] = f"Bearer {key}"
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    data = resp.read()
    out = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, out, data


def chat_body(**over: Any) -> bytes:
    body = {"model": "gpt", "messages": [{"role": "user", "content": "hi"}], **over}
    return json.dumps(body).encode()


def error_of(data: bytes) -> dict[str, Any]:
    err: dict[str, Any] = json.loads(data)["error"]
    assert {"message", "type", "param", "code"} <= set(err)
    return err


def test_chat_ok_with_gateway_headers_and_both_prefixes(serve_fake):
    url, router = serve_fake()
    for path in ("/v1/chat/completions", "/chat/completions"):
        status, headers, data = call(url, "POST", path, chat_body())
        assert status == 200, data
        assert json.loads(data)["choices"][0]["message"]["content"] == "echo: hi"
        assert headers["x-llmrelay-provider"] == "openai"
        assert headers["x-llmrelay-model"] == "openai/fake-1"
        assert headers["x-llmrelay-deployment"] == "dep-1"
        assert headers["x-llmrelay-cost"] == "0.001234"
        assert len(headers["x-request-id"]) == 32
    assert router.calls[0][1]["request_id"]


def test_request_id_is_echoed(serve_fake):
    url, _ = serve_fake()
    _, headers, _ = call(url, "POST", "/v1/chat/completions", chat_body(), {"x-request-id": "abc-123"})
    assert headers["x-request-id"] == "abc-123"
    # an unsafe id (spaces, too long) is replaced, not echoed
    _, headers, _ = call(url, "POST", "/v1/chat/completions", chat_body(), {"x-request-id": "a b" * 100})
    assert headers["x-request-id"] != "a b" * 100


def test_malformed_json_is_400(serve_fake):
    url, _ = serve_fake()
    status, _, data = call(url, "POST", "/v1/chat/completions", b"{not json")
    assert status == 400
    assert "malformed JSON" in error_of(data)["message"]


def test_wrong_type_names_the_field(serve_fake):
    url, _ = serve_fake()
    status, _, data = call(url, "POST", "/v1/chat/completions", chat_body(temperature="hot"))
    assert status == 400
    err = error_of(data)
    assert err["param"] == "temperature"
    assert "temperature" in err["message"]
    status, _, data = call(url, "POST", "/v1/chat/completions",
                           chat_body(messages=[{"role": "robot", "content": "x"}]))  # fmt: skip
    assert status == 400
    assert error_of(data)["param"] == "messages[0].role"


def test_missing_field_is_named(serve_fake):
    url, _ = serve_fake()
    status, _, data = call(url, "POST", "/v1/chat/completions", json.dumps({"model": "gpt"}).encode())
    assert status == 400
    assert error_of(data)["param"] == "messages"


def test_unknown_fields_pass_through_to_extra_body(serve_fake):
    url, router = serve_fake()
    status, _, _ = call(url, "POST", "/v1/chat/completions", chat_body(vendor_knob=7))
    assert status == 200
    assert router.calls[-1][0].extra_body == {"vendor_knob": 7}


def test_unknown_model_is_404_naming_known_groups(serve_fake):
    url, _ = serve_fake()
    status, _, data = call(url, "POST", "/v1/chat/completions", chat_body(model="nope"))
    assert status == 404
    assert "gpt" in error_of(data)["message"]


def test_oversized_body_is_413(serve_fake):
    url, _ = serve_fake(max_request_size_mb=0.001)
    status, _, data = call(url, "POST", "/v1/chat/completions", chat_body(user="x" * 5000))
    assert status == 413
    assert error_of(data)["type"] == "request_too_large"


def test_wrong_or_missing_key_is_401(serve_fake):
    url, router = serve_fake()
    status, _, data = call(url, "POST", "/v1/chat/completions", chat_body(), key="sk-wrong")
    assert status == 401
    assert error_of(data)["type"] == "authentication_error"
    status, _, _ = call(url, "POST", "/v1/chat/completions", chat_body(), key=None)
    assert status == 401
    assert router.calls == []
    # the key must never be echoed back
    assert b"sk-wrong" not in data


def test_x_api_key_only_on_messages_routes(serve_fake):
    url, _ = serve_fake()
    status, _, _ = call(url, "POST", "/v1/chat/completions", chat_body(), {"x-api-key": MASTER_KEY}, key=None)
    assert status == 401


def test_no_master_key_is_open(serve_fake):
    url, _ = serve_fake(master_key=None)
    status, _, _ = call(url, "POST", "/v1/chat/completions", chat_body(), key=None)
    assert status == 200


def test_unknown_route_and_wrong_method(serve_fake):
    url, _ = serve_fake()
    assert call(url, "GET", "/v1/nothing")[0] == 404
    status, _, data = call(url, "GET", "/v1/chat/completions")
    assert status == 405
    error_of(data)


def test_models_health_and_docs(serve_fake):
    url, _ = serve_fake()
    status, _, data = call(url, "GET", "/v1/models")
    assert [m["id"] for m in json.loads(data)["data"]] == ["gpt", "claude"]
    assert call(url, "GET", "/v1/models/gpt")[0] == 200
    assert call(url, "GET", "/models/none")[0] == 404
    health = json.loads(call(url, "GET", "/health")[2])
    assert health["healthy_count"] == 1 and health["unhealthy_count"] == 1
    assert call(url, "GET", "/health/liveliness", key=None)[0] == 200
    assert call(url, "GET", "/health/readiness", key=None)[0] == 200
    doc = json.loads(call(url, "GET", "/openapi.json", key=None)[2])
    assert "/v1/chat/completions" in doc["paths"]
    status, headers, page = call(url, "GET", "/docs", key=None)
    assert status == 200 and headers["content-type"].startswith("text/html") and b"/v1/messages" in page


def test_embeddings_and_completions(serve_fake):
    url, _ = serve_fake()
    status, headers, data = call(
        url, "POST", "/v1/embeddings", json.dumps({"model": "gpt", "input": ["a", "b"]}).encode()
    )
    assert status == 200 and len(json.loads(data)["data"]) == 2
    assert headers["x-llmrelay-cost"] == "0.000010"
    status, _, data = call(
        url, "POST", "/v1/completions", json.dumps({"model": "gpt", "prompt": "p"}).encode()
    )
    assert status == 200 and json.loads(data)["choices"][0]["text"] == "echo: p"
    body = json.dumps({"model": "gpt", "prompt": "p", "stream": True}).encode()
    status, headers, data = call(url, "POST", "/v1/completions", body)
    assert status == 200 and headers["content-type"] == "text/event-stream"
    assert data.endswith(b"data: [DONE]\n\n")


def test_request_deadline_is_408(serve_fake):
    from fake_router import FakeRouter

    url, _ = serve_fake(FakeRouter(first_token_delay=2.0), request_timeout_seconds=0.2)
    status, _, data = call(url, "POST", "/v1/chat/completions", chat_body(stream=True))
    assert status == 408
    assert error_of(data)["type"] == "timeout"
