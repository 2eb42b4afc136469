"""Built-in event sinks, chosen by name in config.yaml (LiteLLM's `litellm_settings.callbacks`,
`success_callback`, `failure_callback`):

- "prometheus": metrics served at GET /metrics (`PrometheusSink`);
- "json_log" (also "json_logs", "jsonl"): one JSON line per call (`JsonLogSink`);
- "otel" (also "opentelemetry"): one OpenTelemetry span per call, OTLP/HTTP (`otel.OtelSink`);
- "langfuse": a Langfuse trace and generation per call, ingestion API (`langfuse.LangfuseSink`);
- "generic_api" (also "webhook"): call-log lines POSTed in batches (`webhook.WebhookSink`).

Sinks are router callbacks: the router hands records to them through its bounded callback queue,
so they never run on a request's path. In the gateway they run as a background task on the serving
loop (they declare `loop_safe`: quick, never blocking — the exporters only queue, and send from a
thread of their own); callbacks that do not are run on a thread. Heavy imports (prometheus_client,
the OpenTelemetry SDK) happen only when a sink that needs them is configured."""

from llmrelay.events.sinks.selection import ConfiguredSinks, SinkOnly, configure_sinks, resolve_names

__all__ = ["ConfiguredSinks", "SinkOnly", "configure_sinks", "resolve_names"]
