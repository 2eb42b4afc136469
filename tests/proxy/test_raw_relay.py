"""OpenAI client over an OpenAI-compatible upstream: the stream goes out as the upstream's own SSE
events, the usage chunk only when asked for, and the call is still priced and logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import running
from test_metrics import KEY, call, document, wait_for

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing import SimulatorGroup, simulators_in_thread


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorGroup]:
    with simulators_in_thread() as group:
        yield group


def events(body: bytes) -> list[Any]:
    out: list[Any] = []
    for block in body.split(b"\n\n"):
        if block.startswith(b"data: "):
            data = block[6:]
            out.append("[DONE]" if data == b"[DONE]" else json.loads(data))
    return out


@pytest.mark.parametrize("include_usage", [False, True])
def test_stream_relayed_with_usage_only_when_asked(
    sims: SimulatorGroup, tmp_path: Path, include_usage: bool
) -> None:
    sims.reset()
    log = tmp_path / "calls.jsonl"
    litellm = {"callbacks": ["json_log"], "callback_settings": {"json_log": {"path": str(log)}}}
    app = build_app(parse_config(document(sims, litellm), source="test.yaml"))
    body: dict[str, Any] = {"model": "gpt", "stream": True,
                            "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    with running(app) as url:
        status, raw = call(url, "/v1/chat/completions", body, KEY)
        assert status == 200
        got = events(raw)
        assert got[-1] == "[DONE]"
        chunks = got[:-1]
        usage_chunks = [c for c in chunks if not c["choices"]]
        assert len(usage_chunks) == (1 if include_usage else 0)
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
        assert text
        assert all(c["object"] == "chat.completion.chunk" for c in chunks)
        wait_for(lambda: log.exists() and log.read_text().strip(), "the call log line")
    [line] = [json.loads(x) for x in log.read_text().splitlines()]
    assert line["stream"] is True and line["status"] == "ok"
    assert line["total_tokens"] > 0 and line["cost_usd"] > 0
