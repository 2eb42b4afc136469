"""Exporting sinks on a real gateway: config.yaml names them, the gateway's calls reach a local
receiver (OTLP/HTTP collector, Langfuse ingestion simulator, webhook), and closing the gateway
flushes what was still queued."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from harness import running

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing import SimulatorGroup, simulators_in_thread

KEY = "sk-exporters-test"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorGroup]:
    with simulators_in_thread() as group:
        yield group


def document(sims: SimulatorGroup, litellm: dict[str, Any]) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "gpt",
                "litellm_params": {"model": "openai/gpt-4o-mini", **sims.openai.sdk_kwargs()},
            }
        ],
        "litellm_settings": litellm,
        "general_settings": {"master_key": KEY},
    }


def chat(url: str, *, stream: bool = False, headers: dict[str, str] | None = None) -> bytes:
    body: dict[str, Any] = {"model": "gpt", "messages": [{"role": "user", "content": "the secret plan"}]}
    if stream:
        body["stream"] = True
    request = urllib.request.Request(
        url + "/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {KEY}", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
        data: bytes = resp.read()
        return data


def test_otel_spans_reach_an_otlp_collector(sims: SimulatorGroup) -> None:
    pytest.importorskip("opentelemetry.sdk")
    from llmrelay.testing.otlp_receiver import OtlpReceiver

    with OtlpReceiver() as collector:
        litellm = {
            "callbacks": ["otel"],
            "callback_settings": {"otel": {"endpoint": collector.base_url, "service_name": "gw-test"}},
        }
        with running(build_app(parse_config(document(sims, litellm), source="test.yaml"))) as url:
            chat(url, headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
            chat(url, stream=True)
        # the gateway is closed: its sink flushed on the way out
        spans = sorted(collector.wait_spans(2), key=lambda s: s.start_ns)
    child, stream = spans
    for span in spans:
        assert span.name == "chat gpt"
        assert span.kind == 3  # SPAN_KIND_CLIENT
        assert span.resource["service.name"] == "gw-test"
        assert span.attributes["gen_ai.provider.name"] == "openai"
        assert span.attributes["gen_ai.request.model"] == "gpt"
        assert span.attributes["llmrelay.model_group"] == "gpt"
        assert span.attributes["llmrelay.principal_kind"] == "master"
        assert span.attributes["gen_ai.usage.output_tokens"] > 0
        assert span.end_ns > span.start_ns
        assert "gen_ai.input.messages" not in span.attributes
        assert KEY not in repr(span.attributes)
    assert child.trace_id == TRACE_ID and child.parent_span_id == PARENT_ID
    assert child.attributes["gen_ai.response.model"].startswith("gpt-4o-mini")
    assert stream.parent_span_id == "" and stream.trace_id != TRACE_ID
    assert stream.attributes["llmrelay.stream"] is True
    assert "llmrelay.time_to_first_token_s" in stream.attributes


def test_langfuse_gets_a_trace_and_generation_per_call(sims: SimulatorGroup) -> None:
    from llmrelay.testing.langfuse_sim import LangfuseSimulator

    with LangfuseSimulator() as langfuse:
        litellm = {
            "callbacks": ["langfuse"],
            "callback_settings": {
                "langfuse": {
                    "public_key": langfuse.public_key,
                    "secret_key": langfuse.secret_key,
                    "host": langfuse.base_url,
                }
            },
        }
        with running(build_app(parse_config(document(sims, litellm), source="test.yaml"))) as url:
            chat(url)
            chat(url, stream=True)
        # closing the gateway flushed the sink
        langfuse.wait_events(4)
        traces, generations = langfuse.traces, langfuse.generations
        requests = langfuse.log.items
    assert len(traces) == 2 and len(generations) == 2
    for generation in generations.values():
        assert generation["traceId"] in traces
        assert generation["model"].startswith("gpt-4o-mini")
        assert generation["usageDetails"]["output"] > 0
        assert generation["metadata"]["model_group"] == "gpt"
        assert generation["metadata"]["principal_kind"] == "master"
        assert generation["input"] == [{"role": "user", "content": "the secret plan"}]
        assert generation["output"]["content"]  # streams too: the assembled answer
    assert sum(1 for g in generations.values() if "completionStartTime" in g) == 1  # the stream
    for request in requests:
        assert KEY not in request.body.decode()


def test_webhook_gets_the_call_log_lines(sims: SimulatorGroup) -> None:
    from llmrelay.testing.receiver import ReceiverLog, ReceiverThread, ScriptedStatuses, json_receiver

    log, statuses = ReceiverLog(), ScriptedStatuses()
    statuses.script(503)  # the first post is retried
    with ReceiverThread([json_receiver("/hook", log, statuses)]) as hook:
        litellm = {
            "callbacks": ["generic_api"],
            "callback_settings": {
                "generic_api": {
                    "endpoint": hook.base_url + "/hook",
                    "headers": {"Authorization": "Bearer hook-token"},
                    "backoff_base": 0.01,
                }
            },
        }
        with running(build_app(parse_config(document(sims, litellm), source="test.yaml"))) as url:
            chat(url)
            chat(url, stream=True)
        requests = log.wait_for(lambda items: sum(len(json.loads(r.body)) for r in items[1:]) >= 2)
    lines = [line for r in requests[1:] for line in json.loads(r.body)]
    assert sorted(line["stream"] for line in lines) == [False, True]
    for line in lines:
        assert line["model_group"] == "gpt" and line["status"] == "ok" and line["completion_tokens"] > 0
    assert all(r.headers["authorization"] == "Bearer hook-token" for r in requests)
    assert all(KEY not in r.body.decode() for r in requests)
