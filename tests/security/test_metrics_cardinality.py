"""Metrics whose size a client chose (hardening issue, item 5): calls naming made-up models (404s
count too) each became a label set — 3,000 of them grew /metrics to 23 MB, and a 200 KB model name
became a label. Now only names the configuration knows are labels, the rest one `__unknown__`
bucket, every value length-bounded; and LiteLLM's litellm_settings.require_auth_for_metrics_endpoint
closes /metrics to callers without a valid key."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import edge_helpers  # noqa: F401 (puts tests/proxy on the path)
from harness import running

from llmrelay.config import parse_config
from llmrelay.events.sinks.prometheus import MAX_LABEL_CHARS, UNKNOWN_LABEL, LabelNames, bounded
from llmrelay.proxy.server import build_app
from llmrelay.testing import RunningSimulator

KEY = "sk-metrics-edge"


def document(sim: RunningSimulator, litellm: dict[str, Any] | None = None) -> dict[str, Any]:
    params = {"api_base": sim.api_base, "api_key": sim.api_key}
    return {
        "model_list": [
            {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", **params}},
            {"model_name": "openai/*", "litellm_params": {"model": "openai/*", **params}},
        ],
        "litellm_settings": {"callbacks": ["prometheus"], **(litellm or {})},
        "general_settings": {"master_key": KEY},
    }


def call(url: str, path: str, body: dict[str, Any] | None = None, key: str | None = KEY) -> tuple[int, bytes]:
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url + path, data=data, headers=headers), timeout=30
        ) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def chat(url: str, model: str) -> int:
    return call(
        url, "/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    )[0]


def requests_counted(text: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("llmrelay_requests_total{")
    )


def wait_for(predicate: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_made_up_model_names_never_become_labels(openai_sim: RunningSimulator) -> None:
    with running(build_app(parse_config(document(openai_sim), source="test.yaml"))) as url:
        assert chat(url, "gpt") == 200
        assert chat(url, "openai/gpt-4o-mini") == 200  # served by the wildcard group
        made_up = [f"made-up-{i}" for i in range(200)] + ["x" * 200_000, 'quote"brace}{' + "\n"]
        for name in made_up:
            assert chat(url, name) == 404
        metrics = lambda: call(url, "/metrics", key=None)[1].decode()  # noqa: E731
        wait_for(lambda: requests_counted(metrics()) == 2 + len(made_up), "every call on /metrics")
        text = metrics()
    assert "made-up" not in text and "xxxxxxxx" not in text and "quote" not in text
    assert f'model="{UNKNOWN_LABEL}",provider="unknown",status="404"}} {len(made_up)}.0' in text
    assert 'llmrelay_requests_total{model="gpt",provider="openai",status="ok"} 1.0' in text
    assert 'llmrelay_requests_total{model="openai/*",provider="openai",status="ok"} 1.0' in text
    # a handful of series, whatever the clients sent
    series = [line for line in text.splitlines() if line.startswith("llmrelay_requests_total{")]
    assert len(series) == 3
    assert len(text) < 30_000


def test_label_values_are_bounded() -> None:
    names = LabelNames(["g" * 1000, "vertex_ai/*"], ["openai"])
    assert len(names.model("g" * 1000)) == MAX_LABEL_CHARS
    assert names.model("vertex_ai/gemini-" + "y" * 5000) == "vertex_ai/*"
    assert names.model("other") == UNKNOWN_LABEL
    assert names.provider("openai") == "openai" and names.provider("evil") == UNKNOWN_LABEL
    assert bounded("short") == "short"
    # the SDK's sink (no configuration to consult) still bounds the length
    assert len(LabelNames().model("z" * 10_000)) == MAX_LABEL_CHARS


def test_litellm_settings_require_auth_for_metrics_endpoint(openai_sim: RunningSimulator) -> None:
    closed = document(openai_sim, {"require_auth_for_metrics_endpoint": True})
    with running(build_app(parse_config(closed, source="test.yaml"))) as url:
        status, body = call(url, "/metrics", key=None)
        assert status == 401, body
        assert json.loads(body)["error"]["type"]
        assert call(url, "/metrics", key="sk-wrong")[0] == 401
        assert call(url, "/metrics")[0] == 200
    # open by default, as in LiteLLM
    with running(build_app(parse_config(document(openai_sim), source="test.yaml"))) as url:
        assert call(url, "/metrics", key=None)[0] == 200
