"""Prometheus metrics from call records: requests by model/provider/status, latency and
time-to-first-token histograms, token and spend counters, and each deployment's state at scrape time.

Each sink owns its CollectorRegistry (never prometheus_client's global one), so two gateways or two
tests in one process never share counters. Hooks run wherever the router delivers records (its
callback thread, or the gateway's serving loop) and only add to plain integers per label set (one
lock, no metric calls: six locked metric updates per record were the sink's whole cost); a scrape
folds those counts into prometheus_client's metrics first, so /metrics reads exactly as if each
record had been observed directly.

Label values are bounded (docs/security.md): a model label is a name the configuration knows (a
model group or alias, or the wildcard pattern that served the call), everything else — a made-up
model name a client sent, answered 404 — is counted under UNKNOWN_LABEL; a provider label is a
provider llmrelay knows; every value is at most MAX_LABEL_CHARS long. Without this, 3,000 calls
naming made-up models grew /metrics to 23 MB, and a 200 KB model name became a label."""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from llmrelay.events.record import CallRecord

# LLM calls run from tens of milliseconds to minutes
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST

DeploymentStates = Callable[[], list[dict[str, Any]]]
# the one label value of every name the configuration does not know
UNKNOWN_LABEL = "__unknown__"
MAX_LABEL_CHARS = 128


def bounded(value: str) -> str:
    """A label value cut to MAX_LABEL_CHARS (configured names longer than that are rare and still
    told apart by their first 120 characters)."""
    return value if len(value) <= MAX_LABEL_CHARS else value[: MAX_LABEL_CHARS - 1] + "…"


class LabelNames:
    """Which model and provider names become label values as they are. `models`: the names a caller
    may ask for (model groups, aliases; wildcard groups such as `openai/*` are patterns: a call they
    served is labelled with the pattern). None: any name (the SDK, where the caller is the operator),
    length-bounded still."""

    __slots__ = ("_models", "_providers", "_wildcards", "known_models", "known_providers")

    def __init__(self, models: Iterable[str] | None = None, providers: Iterable[str] | None = None) -> None:
        self._models = None if models is None else frozenset(models)
        self._wildcards = tuple(
            sorted((m[:-1] for m in self._models or () if m.endswith("*")), key=len, reverse=True)
        )
        self._providers = None if providers is None else frozenset(providers)
        # every configured name's label, made once: the sink looks a call's names up here first, one
        # dict lookup each and no call on the common path
        self.known_models = {name: bounded(name) for name in self._models or ()}
        self.known_providers = {name: bounded(name) for name in self._providers or ()}

    def model(self, name: str) -> str:
        if self._models is None:
            return bounded(name)
        if name in self._models:
            return self.known_models[name]
        for stem in self._wildcards:
            if name.startswith(stem):
                return bounded(stem + "*")
        return UNKNOWN_LABEL

    def provider(self, name: str) -> str:
        if self._providers is None:
            return bounded(name)
        if name in self._providers:
            return self.known_providers[name]
        return UNKNOWN_LABEL


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
            labels = [bounded(str(entry.get(k, ""))) for k in ("id", "model_name", "model")]
            family.add_metric(labels, 1.0 if cooling else 0.0)
        yield family


class _SpendQuarantineCollector(Collector):
    """llmrelay_spend_quarantined_records_total: spend records the database refused (or spool frames
    that did not decode), set aside in a dead-letter file — read from the spend writer when scraped.
    Only present on a gateway that records spend."""

    def __init__(self, count: Callable[[], Callable[[], int] | None]) -> None:
        self._count = count

    def collect(self) -> Iterator[CounterMetricFamily]:
        source = self._count()
        if source is None:
            return
        yield CounterMetricFamily(
            "llmrelay_spend_quarantined_records",
            "Spend records set aside in a dead-letter file instead of the database",
            value=source(),
        )


class _Tally:
    """One label set's counts since the last scrape, and the metric children they fold into."""

    __slots__ = (
        "children",
        "completion_tokens",
        "latency_buckets",
        "latency_sum",
        "prompt_tokens",
        "requests",
        "spend_micros",
        "ttft_buckets",
        "ttft_sum",
    )  # fmt: skip

    def __init__(self, children: tuple[Any, ...]) -> None:
        # requests, latency, ttft, prompt tokens, completion tokens, spend (created on first sight,
        # so each series' _created time is its first record's, as with direct observation)
        self.children = children
        self.requests = 0
        # non-cumulative counts per bucket as prometheus_client keeps them; the last one is +Inf
        self.latency_buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.ttft_buckets = [0] * (len(TTFT_BUCKETS) + 1)
        self.ttft_sum = 0.0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.spend_micros = 0

    def fold(self) -> None:
        requests, latency, ttft, prompt, completion, spend = self.children
        if self.requests:
            requests.inc(self.requests)
            self.requests = 0
        _fold_histogram(latency, self.latency_buckets, self.latency_sum)
        self.latency_sum = 0.0
        _fold_histogram(ttft, self.ttft_buckets, self.ttft_sum)
        self.ttft_sum = 0.0
        if self.prompt_tokens:
            prompt.inc(self.prompt_tokens)
            self.prompt_tokens = 0
        if self.completion_tokens:
            completion.inc(self.completion_tokens)
            self.completion_tokens = 0
        if self.spend_micros:
            spend.inc(self.spend_micros / 1_000_000)
            self.spend_micros = 0


def _fold_histogram(child: Any, buckets: list[int], total: float) -> None:
    """Add bucket counts and a sum to a Histogram child: what that many `observe` calls would do
    (prometheus_client has no public call for adding counts, so its per-bucket values are used)."""
    if total:
        child._sum.inc(total)
    for index, count in enumerate(buckets):
        if count:
            child._buckets[index].inc(count)
            buckets[index] = 0


class _FoldBeforeScrape(Collector):
    """Registered first, so every scrape of the registry folds the pending counts before the
    metrics are read; yields no metrics of its own."""

    def __init__(self, fold: Callable[[], None]) -> None:
        self._fold = fold

    def describe(self) -> Iterable[Any]:
        return ()

    def collect(self) -> Iterable[Any]:
        self._fold()
        return ()


class PrometheusSink:
    """A router callback; `render()` gives the text exposition served at GET /metrics."""

    # hooks only update in-memory metrics: fine to run on a serving loop; no contents needed
    loop_safe = True
    wants_contents = False

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._deployment_states: DeploymentStates | None = None
        # the directory of every worker's metrics files, once `share_across_workers` was called
        self._shared_directory: str | None = None
        self._spend_quarantined: Callable[[], int] | None = None
        self._names = LabelNames()
        self._lock = threading.Lock()
        self._tallies: dict[tuple[str, str, str], _Tally] = {}
        self.registry.register(_FoldBeforeScrape(self.fold))
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
        # read at scrape time from this worker's own objects (not summed over workers)
        self._own_collectors: tuple[Collector, ...] = (
            _DeploymentStateCollector(lambda: self._deployment_states),
            _SpendQuarantineCollector(lambda: self._spend_quarantined),
        )
        for collector in self._own_collectors:
            self.registry.register(collector)

    def watch_deployments(self, states: DeploymentStates) -> None:
        """Report these deployment states on every scrape (the gateway passes `router.health`)."""
        self._deployment_states = states

    def watch_spend_quarantine(self, count: Callable[[], int]) -> None:
        """Report this count of quarantined spend records on every scrape (the virtual-key runtime
        passes its Quarantine's count)."""
        self._spend_quarantined = count

    def limit_labels(self, names: LabelNames) -> None:
        """Label calls only with these names (the gateway passes its configured model names)."""
        self._names = names

    def share_across_workers(self, directory: str) -> Any:
        """Serve the sum over every worker whose metrics files are in `directory` (prometheus_client's
        multiprocess mode, which must have been on when it was imported); returns the service that
        folds this worker's counts into its file (events/sinks/prometheus_shared.py)."""
        from llmrelay.events.sinks.prometheus_shared import FoldEvery, multiprocess_mode_on

        if not multiprocess_mode_on():
            raise RuntimeError(
                "several workers need prometheus_client's multiprocess mode: PROMETHEUS_MULTIPROC_DIR "
                "must be set before prometheus_client is imported"
            )
        self._shared_directory = directory
        return FoldEvery(self.fold)

    def render(self) -> bytes:
        if self._shared_directory is not None:
            from llmrelay.events.sinks.prometheus_shared import render_shared

            return render_shared(self._shared_directory, self.fold, self._own_collectors)
        return generate_latest(self.registry)

    # ---- router hooks: every one counts its record the same way (one method under three names, not
    # three methods calling a fourth: one frame less per record)
    def on_success(self, record: CallRecord) -> None:
        names = self._names
        model = record.model_group or record.model
        model = names.known_models.get(model) or names.model(model)
        provider = record.provider or "unknown"
        provider = names.known_providers.get(provider) or names.provider(provider)
        status = "ok" if record.error is None else str(record.error.status_code)
        key = (model, provider, status)
        latency_s = record.latency_s
        ttft_s = record.time_to_first_token_s
        usage = record.usage
        with self._lock:
            tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = _Tally(self._children(model, provider, status))
            tally.requests += 1
            tally.latency_buckets[bisect_left(LATENCY_BUCKETS, latency_s)] += 1
            tally.latency_sum += latency_s
            if ttft_s is not None:
                tally.ttft_buckets[bisect_left(TTFT_BUCKETS, ttft_s)] += 1
                tally.ttft_sum += ttft_s
            if usage is not None:
                tally.prompt_tokens += usage.prompt_tokens
                tally.completion_tokens += usage.completion_tokens
            tally.spend_micros += record.cost_micros

    on_stream_complete = on_success
    on_failure = on_success

    def _children(self, model: str, provider: str, status: str) -> tuple[Any, ...]:
        return (
            self.requests.labels(model, provider, status),
            self.latency.labels(model, provider),
            self.ttft.labels(model, provider),
            self.tokens.labels(model, provider, "prompt"),
            self.tokens.labels(model, provider, "completion"),
            self.spend.labels(model, provider),
        )

    def fold(self) -> None:
        """Add the counts kept since the last fold to the metrics."""
        with self._lock:
            for tally in self._tallies.values():
                tally.fold()

    def close(self) -> None:
        return None
