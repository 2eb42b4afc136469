"""Events on the gateway: sinks named in config.yaml hear every call through the real Router,
GET /metrics serves the Prometheus sink, and a stuck sink never holds up a request."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import running

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing import SimulatorGroup, simulators_in_thread

KEY = "sk-metrics-test"


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorGroup]:
    with simulators_in_thread() as group:
        yield group


def document(sims: SimulatorGroup, litellm: dict[str, Any], **general: Any) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "gpt",
                "litellm_params": {"model": "openai/gpt-4o-mini", **sims.openai.sdk_kwargs()},
            }
        ],
        "litellm_settings": litellm,
        "general_settings": {"master_key": KEY, **general},
    }


def call(url: str, path: str, body: dict[str, Any] | None = None, key: str | None = KEY) -> tuple[int, bytes]:
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def chat(url: str, model: str = "gpt", stream: bool = False) -> int:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    if stream:
        body["stream"] = True
    return call(url, "/v1/chat/completions", body)[0]


def wait_for(predicate: Any, what: str, seconds: float = 10.0) -> None:
    """Sinks run on the router's callback thread: poll (bounded) until they have heard the calls."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def counter(url: str, status: str) -> float:
    code, body = call(url, "/metrics", key=None)
    assert code == 200
    prefix = f'llmrelay_requests_total{{model="gpt",provider="openai",status="{status}"}} '
    for line in body.decode().splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0


def test_prometheus_and_json_log_hear_every_call(sims: SimulatorGroup, tmp_path: Path) -> None:
    sims.reset()
    log = tmp_path / "calls.jsonl"
    json_log = {"path": str(log), "flush_seconds": 0.05}
    doc = document(
        sims, {"callbacks": ["prometheus", "json_log"], "callback_settings": {"json_log": json_log}}
    )
    with running(build_app(parse_config(doc, source="test.yaml"))) as url:
        assert chat(url) == 200
        assert chat(url, stream=True) == 200
        assert chat(url, model="no-such-model") == 404
        wait_for(lambda: counter(url, "ok") == 2, "two successes on /metrics")
        text = call(url, "/metrics", key=None)[1].decode()
        assert 'llmrelay_time_to_first_token_seconds_count{model="gpt",provider="openai"} 1.0' in text
        assert "llmrelay_deployment_state{deployment=" in text
        assert 'llmrelay_tokens_total{kind="prompt",model="gpt",provider="openai"}' in text
        wait_for(lambda: log.exists() and len(log.read_text().splitlines()) == 3, "three log lines")
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(e["status"] for e in entries) == ["error", "ok", "ok"]
    assert all(e["endpoint"] == "/v1/chat/completions" and e["request_id"] for e in entries)
    assert KEY not in log.read_text() and sims.openai.api_key not in log.read_text()


def test_metrics_is_absent_without_the_prometheus_sink(sims: SimulatorGroup) -> None:
    with running(build_app(parse_config(document(sims, {}), source="test.yaml"))) as url:
        assert call(url, "/metrics")[0] == 404


def test_metrics_can_require_the_master_key(sims: SimulatorGroup) -> None:
    doc = document(sims, {"success_callback": ["prometheus"]}, require_auth_for_metrics_endpoint=True)
    with running(build_app(parse_config(doc, source="test.yaml"))) as url:
        assert call(url, "/metrics", key=None)[0] == 401
        assert call(url, "/metrics")[0] == 200


class StuckSink:
    """Blocks the router's callback thread until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.heard = 0

    def on_success(self, record: Any) -> None:
        self.heard += 1
        self.release.wait(30)


def test_a_stuck_sink_never_holds_up_requests(sims: SimulatorGroup) -> None:
    sims.reset()
    app = build_app(parse_config(document(sims, {"callbacks": ["prometheus"]}), source="test.yaml"))
    stuck = StuckSink()
    app.state.router.add_callback(stuck)
    with running(app) as url:
        try:
            started = time.monotonic()
            assert [chat(url) for _ in range(20)] == [200] * 20
            elapsed = time.monotonic() - started
            wait_for(lambda: stuck.heard == 1, "the stuck sink to receive its first record")
            assert stuck.heard == 1  # still stuck on the first record, and yet every call was answered
            assert elapsed < 10
        finally:
            stuck.release.set()
        # once released, the queued records reach the sinks
        wait_for(lambda: counter(url, "ok") == 20, "all 20 successes on /metrics")
