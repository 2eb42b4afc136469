"""Prometheus metrics from call records: requests by model/provider/status, latency and
time-to-first-token histograms, token and spend counters, and each deployment's state at scrape time.

Each sink owns its CollectorRegistry (never prometheus_client's global one), so two gateways or two
tests in one process never share counters. Hooks run wherever the router delivers records (its
callback thread, or the gateway's serving loop); scrapes run on the server's loop: prometheus_client's
metric objects are thread-safe."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from llmrelay.events.record import CallRecord

# LLM calls run from tens of milliseconds to minutes
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST

DeploymentStates = Callable[[], list[dict[str, Any]]]


class _DeploymentStateCollector(Collector):
    """llmrelay_deployment_state: 0 healthy, 1 cooling down — read from the router when scraped."""

    def __init__(self, states: Callable[[], DeploymentStates | None]) -> None:
        self._states = states

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "llmrelay_deployment_state",
            "Deployment state as the router sees it: 0 healthy, 1 cooling down",
            labels=["deployment", "model_group", "model"],
        )
        source = self._states()
        for entry in source() if source is not None else []:
            cooling = str(entry.get("state", "healthy")) != "healthy"
            labels = [str(entry.get("id", "")), str(entry.get("model_name", "")), str(entry.get("model", ""))]
            family.add_metric(labels, 1.0 if cooling else 0.0)
        yield family


class PrometheusSink:
    """A router callback; `render()` gives the text exposition served at GET /metrics."""

    # hooks only update in-memory metrics: fine to run on a serving loop; no contents needed
    loop_safe = True
    wants_contents = False

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._deployment_states: DeploymentStates | None = None
        labels = ["model", "provider"]
        self.requests = Counter(
            "llmrelay_requests", "Finished calls by model group, provider and status",
            [*labels, "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "llmrelay_request_latency_seconds", "Whole-call latency (all attempts)",
            labels, buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.ttft = Histogram(
            "llmrelay_time_to_first_token_seconds", "Time to the first streamed chunk",
            labels, buckets=TTFT_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.tokens = Counter(
            "llmrelay_tokens", "Tokens used, by kind (prompt, completion)",
            [*labels, "kind"], registry=self.registry,
        )  # fmt: skip
        self.spend = Counter(
            "llmrelay_spend_usd", "Spend in USD as priced by the catalog", labels, registry=self.registry
        )
        self.registry.register(_DeploymentStateCollector(lambda: self._deployment_states))
        # label lookups take a lock and build a tuple; the children of a label set are reused
        self._children: dict[tuple[str, str, str], tuple[Any, ...]] = {}

    def watch_deployments(self, states: DeploymentStates) -> None:
        """Report these deployment states on every scrape (the gateway passes `router.health`)."""
        self._deployment_states = states

    def render(self) -> bytes:
        return generate_latest(self.registry)

    # ---- router hooks
    def on_success(self, record: CallRecord) -> None:
        self._observe(record)

    def on_stream_complete(self, record: CallRecord) -> None:
        self._observe(record)

    def on_failure(self, record: CallRecord) -> None:
        self._observe(record)

    def _observe(self, record: CallRecord) -> None:
        model = record.model_group or record.model
        provider = record.provider or "unknown"
        status = "ok" if record.error is None else str(record.error.status_code)
        key = (model, provider, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(model, provider, status),
                self.latency.labels(model, provider),
                self.ttft.labels(model, provider),
                self.tokens.labels(model, provider, "prompt"),
                self.tokens.labels(model, provider, "completion"),
                self.spend.labels(model, provider),
            )
            self._children[key] = children
        requests, latency, ttft, prompt, completion, spend = children
        requests.inc()
        latency.observe(record.latency_s)
        if record.time_to_first_token_s is not None:
            ttft.observe(record.time_to_first_token_s)
        usage = record.usage
        if usage is not None:
            if usage.prompt_tokens:
                prompt.inc(usage.prompt_tokens)
            if usage.completion_tokens:
                completion.inc(usage.completion_tokens)
        if record.cost_micros:
            spend.inc(record.cost_micros / 1_000_000)

    def close(self) -> None:
        return None
