"""The Prometheus sink: what a scrape shows after successes, failures and streams."""

from __future__ import annotations

import re

import pytest
from records import auth_error, record

from llmrelay.events.sinks.prometheus import PrometheusSink


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the text exposition, matched on the given labels."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_counts_requests_tokens_spend_and_latency() -> None:
    sink = PrometheusSink()
    sink.on_success(record())
    sink.on_stream_complete(record(stream=True))
    sink.on_failure(record(error=auth_error()))
    text = sink.render().decode()
    ok = {"model": "gpt-group", "provider": "openai"}
    assert sample(text, "llmrelay_requests_total", status="ok", **ok) == 2
    assert sample(text, "llmrelay_requests_total", status="401", **ok) == 1
    assert sample(text, "llmrelay_tokens_total", kind="prompt", **ok) == 22
    assert sample(text, "llmrelay_tokens_total", kind="completion", **ok) == 14
    assert sample(text, "llmrelay_spend_usd_total", **ok) == 0.005
    # every call has a latency, only the stream a time to first token
    assert sample(text, "llmrelay_request_latency_seconds_count", **ok) == 3
    assert sample(text, "llmrelay_request_latency_seconds_bucket", le="0.25", **ok) == 3
    assert sample(text, "llmrelay_request_latency_seconds_bucket", le="0.1", **ok) == 0
    assert sample(text, "llmrelay_time_to_first_token_seconds_count", **ok) == 1
    assert sample(text, "llmrelay_time_to_first_token_seconds_bucket", le="0.05", **ok) == 1


def test_deployment_state_is_read_at_scrape_time() -> None:
    sink = PrometheusSink()
    states = [{"id": "dep-1", "model_name": "gpt", "model": "openai/gpt-4o", "state": "healthy"}]
    sink.watch_deployments(lambda: states)
    assert sample(sink.render().decode(), "llmrelay_deployment_state", deployment="dep-1") == 0
    states[0]["state"] = "cooling"
    assert sample(sink.render().decode(), "llmrelay_deployment_state", deployment="dep-1") == 1


def test_two_sinks_share_nothing() -> None:
    first, second = PrometheusSink(), PrometheusSink()
    first.on_success(record())
    assert sample(first.render().decode(), "llmrelay_requests_total", status="ok") == 1
    assert sample(second.render().decode(), "llmrelay_requests_total", status="ok") is None


def test_unknown_provider_and_model_group_fall_back() -> None:
    sink = PrometheusSink()
    sink.on_failure(record(error=auth_error(), provider=None, model_group=None, model="asked-for"))
    text = sink.render().decode()
    assert sample(text, "llmrelay_requests_total", model="asked-for", provider="unknown") == 1


def test_counts_keep_adding_up_across_scrapes() -> None:
    # records between scrapes are folded in at each scrape, never twice and never lost
    sink = PrometheusSink()
    ok = {"model": "gpt-group", "provider": "openai"}
    totals = 0
    for batch in (3, 0, 5):
        for _ in range(batch):
            sink.on_success(record(latency_s=0.07))
        totals += batch
        text = sink.render().decode()
        assert sample(text, "llmrelay_requests_total", status="ok", **ok) == totals
        assert sample(text, "llmrelay_request_latency_seconds_bucket", le="0.1", **ok) == totals
        assert sample(text, "llmrelay_request_latency_seconds_bucket", le="0.05", **ok) == 0
        assert sample(text, "llmrelay_tokens_total", kind="prompt", **ok) == 11 * totals
        assert sample(text, "llmrelay_spend_usd_total", **ok) == pytest.approx(0.0025 * totals)
    latency_sum = sample(sink.render().decode(), "llmrelay_request_latency_seconds_sum", **ok)
    assert latency_sum == pytest.approx(0.07 * totals)
