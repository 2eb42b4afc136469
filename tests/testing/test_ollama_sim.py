"""The Ollama simulator speaks Ollama's API as the real server does: streaming unless told not to,
newline-delimited JSON, `{"error": ...}` bodies, no key wanted unless it was given keys."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from llmrelay.testing import RunningSimulator


def _post(sim: RunningSimulator, path: str, body: dict[str, Any], **headers: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        sim.base_url + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.headers.get("content-type", ""), reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()


def test_chat_streams_ndjson_by_default(ollama_sim: RunningSimulator) -> None:
    status, content_type, body = _post(
        ollama_sim, "/api/chat", {"model": "llama3.2", "messages": [{"role": "user", "content": "Hi there"}]}
    )
    assert status == 200 and content_type.startswith("application/x-ndjson")
    lines = [json.loads(line) for line in body.splitlines()]
    assert all(not line["done"] for line in lines[:-1]) and lines[-1]["done"] is True
    assert lines[-1]["done_reason"] == "stop" and lines[-1]["eval_count"] == len(lines) - 1
    assert "".join(line["message"]["content"] for line in lines) == "Simulated reply to: Hi there"


def test_generate_answers_whole_when_asked(ollama_sim: RunningSimulator) -> None:
    status, _, body = _post(
        ollama_sim, "/api/generate", {"model": "llama3.2", "prompt": "Hi", "stream": False}
    )
    answer = json.loads(body)
    assert status == 200 and answer["done"] is True and answer["response"] == "Simulated reply to: Hi"
    assert answer["prompt_eval_count"] > 0


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"messages": []}, 400, "model is required"),
        ({"model": "missing-llama", "messages": []}, 404, "try pulling it first"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]}, 400,
         "cannot unmarshal"),
        ({"model": "m", "messages": [{"role": "user", "content": "x", "images": ["https://x/y.png"]}]}, 400,
         "base64"),
    ],
)  # fmt: skip
def test_errors_are_ollamas_shape(
    ollama_sim: RunningSimulator, body: dict[str, Any], status: int, message: str
) -> None:
    got, _, raw = _post(ollama_sim, "/api/chat", {**body, "stream": False})
    assert got == status and message in json.loads(raw)["error"]


def test_keys_are_wanted_only_when_given(start_sim: Any) -> None:
    sim = start_sim("ollama", api_keys=["k1"])
    body = {"model": "m", "prompt": "Hi", "stream": False}
    assert _post(sim, "/api/generate", body)[0] == 401
    assert _post(sim, "/api/generate", body, authorization="Bearer k1")[0] == 200
