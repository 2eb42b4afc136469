"""From callback names (and per-sink settings) to sink objects, with warnings for names llmrelay
does not provide (a LiteLLM config naming "datadog" still loads)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SUCCESS_HOOKS = ("on_success", "on_stream_complete")
FAILURE_HOOKS = ("on_failure",)
ALL_HOOKS = SUCCESS_HOOKS + FAILURE_HOOKS

PROMETHEUS = "prometheus"
JSON_LOG = "json_log"
OTEL = "otel"
LANGFUSE = "langfuse"
WEBHOOK = "generic_api"
_ALIASES = {
    "prometheus": PROMETHEUS,
    "json_log": JSON_LOG,
    "json_logs": JSON_LOG,
    "jsonl": JSON_LOG,
    "otel": OTEL,
    "opentelemetry": OTEL,
    "langfuse": LANGFUSE,
    "generic_api": WEBHOOK,
    "webhook": WEBHOOK,
}
# the optional extra that provides each sink's dependencies
_EXTRAS = {PROMETHEUS: "metrics", OTEL: "otel"}


class SinkOnly:
    """A sink restricted to some hooks (a name listed only in success_callback hears successes).
    The callback dispatcher looks hooks up by attribute; absent ones are skipped."""

    def __init__(self, sink: Any, hooks: Sequence[str]) -> None:
        self.sink = sink
        self.loop_safe = bool(getattr(sink, "loop_safe", False))
        self.wants_contents = bool(getattr(sink, "wants_contents", True))
        for hook in hooks:
            setattr(self, hook, getattr(sink, hook))

    def __repr__(self) -> str:
        hooks = [h for h in ALL_HOOKS if h in self.__dict__]
        return f"SinkOnly({type(self.sink).__name__}, {hooks})"


@dataclass(slots=True)
class ConfiguredSinks:
    callbacks: list[Any] = field(default_factory=list)  # register these on the router
    sinks: list[Any] = field(default_factory=list)  # each once, to close at shutdown
    metrics: Any = None  # the PrometheusSink, when configured (serves /metrics)
    warnings: list[str] = field(default_factory=list)


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def resolve_names(
    callbacks: Any,
    success_callback: Any,
    failure_callback: Any,
    warnings: list[str],
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, set[str]]:
    """Sink name → the hooks it hears. Names llmrelay does not provide become warnings, except a
    name of the user's whose settings say `callback_type: generic_api` (LiteLLM's way to name
    several webhooks): that name is a webhook sink of its own."""
    hooks: dict[str, set[str]] = {}
    custom = {
        str(raw): str(raw)
        for raw, options in (settings or {}).items()
        if isinstance(options, Mapping) and options.get("callback_type") == WEBHOOK
    }
    for names, wanted in (
        (_names(callbacks), ALL_HOOKS),
        (_names(success_callback), SUCCESS_HOOKS),
        (_names(failure_callback), FAILURE_HOOKS),
    ):
        for raw in names:
            name = _ALIASES.get(raw.strip().lower()) or custom.get(raw)
            if name is None:
                warnings.append(
                    f"callback {raw!r} is not provided by llmrelay and is ignored "
                    f"(available: {', '.join(sorted(set(_ALIASES.values())))})"
                )
                continue
            hooks.setdefault(name, set()).update(wanted)
    return hooks


def configure_sinks(
    callbacks: Any = None,
    success_callback: Any = None,
    failure_callback: Any = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    turn_off_message_logging: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ConfiguredSinks:
    """`settings` holds per-sink options by name, e.g. {"json_log": {"path": "calls.jsonl",
    "log_messages": False}} (config.yaml: `litellm_settings.callback_settings`; a sink's LiteLLM
    aliases find its options too). `turn_off_message_logging` (LiteLLM's) keeps message contents out
    of every sink, whatever its own option says. `environ`: where sinks read their environment
    variables (default: the process's). A sink that cannot be built (a missing optional package,
    missing credentials) is left out, with a warning."""
    result = ConfiguredSinks()
    hooks = resolve_names(callbacks, success_callback, failure_callback, result.warnings, settings)
    options = _options_by_name(settings or {})
    env = os.environ if environ is None else environ
    for name, chosen in hooks.items():
        try:
            sink = _build(name, dict(options.get(name) or {}), result.warnings, turn_off_message_logging, env)
        except ImportError as exc:
            extra = _EXTRAS.get(name, name)
            result.warnings.append(
                f"callback {name!r} needs a package that is not installed ({exc.name or exc}): "
                f"install llmrelay[{extra}]; the sink is off"
            )
            continue
        except ValueError as exc:
            result.warnings.append(f"callback {name!r}: {exc}; the sink is off")
            continue
        result.sinks.append(sink)
        if name == PROMETHEUS:
            result.metrics = sink
        ordered = [h for h in ALL_HOOKS if h in chosen]
        result.callbacks.append(sink if len(ordered) == len(ALL_HOOKS) else SinkOnly(sink, ordered))
    return result


def _options_by_name(settings: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """callback_settings keyed by canonical sink name (`opentelemetry:` finds the otel sink)."""
    options: dict[str, Mapping[str, Any]] = {}
    for raw, value in settings.items():
        name = _ALIASES.get(str(raw).strip().lower(), str(raw))
        options[name] = {**options.get(name, {}), **(value or {})}
    return options


def _build(
    name: str,
    options: dict[str, Any],
    warnings: list[str],
    no_contents: bool,
    env: Mapping[str, str],
) -> Any:
    if name == PROMETHEUS:
        from llmrelay.events.sinks.prometheus import PrometheusSink

        _warn_unknown(name, options, (), warnings)
        return PrometheusSink()
    if name == OTEL:
        return _build_otel(options, warnings, no_contents, env)
    if name == LANGFUSE:
        return _build_langfuse(options, warnings, no_contents, env)
    if name == WEBHOOK or options.get("callback_type") == WEBHOOK:
        return _build_webhook(name, options, warnings, no_contents, env)
    from llmrelay.events.sinks.jsonlog import JsonLogSink

    _warn_unknown(name, options, ("path", "log_messages", "flush_seconds"), warnings)
    return JsonLogSink(
        options.get("path"),
        log_messages=bool(options.get("log_messages", False)) and not no_contents,
        flush_seconds=float(options.get("flush_seconds", 1.0)),
    )


_OTEL_OPTIONS = (
    "endpoint",
    "headers",
    "service_name",
    "log_messages",
    "max_queue_size",
    "max_export_batch_size",
    "schedule_delay_ms",
    "export_timeout_s",
)


def _build_otel(
    options: dict[str, Any], warnings: list[str], no_contents: bool, env: Mapping[str, str]
) -> Any:
    from llmrelay.events.sinks.otel import OtelSink

    _warn_unknown(OTEL, options, _OTEL_OPTIONS, warnings)
    numbers: dict[str, Any] = {}
    for key, kind in (
        ("max_queue_size", int),
        ("max_export_batch_size", int),
        ("schedule_delay_ms", float),
        ("export_timeout_s", float),
    ):
        if options.get(key) is not None:
            numbers[key] = kind(options[key])
    return OtelSink(
        endpoint=options.get("endpoint"),
        headers=options.get("headers"),
        service_name=options.get("service_name"),
        log_messages=bool(options.get("log_messages", False)) and not no_contents,
        environ=env,
        **numbers,
    )


def _warn_unknown(name: str, options: dict[str, Any], known: Sequence[str], warnings: list[str]) -> None:
    for key in options:
        if key not in known:
            warnings.append(f"callback_settings.{name}.{key}: unknown option, ignored")


# delivery options of the batching HTTP sinks, and their types
_DELIVERY_OPTIONS: dict[str, type] = {
    "batch_size": int,
    "max_queue": int,
    "flush_interval": float,
    "max_retries": int,
    "backoff_base": float,
    "timeout": float,
    "close_timeout": float,
}
_LANGFUSE_OPTIONS = ("public_key", "secret_key", "host", "log_messages", "environment", "release")


def _delivery(options: dict[str, Any]) -> dict[str, Any]:
    return {k: kind(options[k]) for k, kind in _DELIVERY_OPTIONS.items() if options.get(k) is not None}


def _build_langfuse(
    options: dict[str, Any], warnings: list[str], no_contents: bool, env: Mapping[str, str]
) -> Any:
    from llmrelay.events.sinks.langfuse import LangfuseSink

    _warn_unknown(LANGFUSE, options, (*_LANGFUSE_OPTIONS, *_DELIVERY_OPTIONS), warnings)
    # contents go to Langfuse by default, as with LiteLLM's Langfuse logger
    log_messages = bool(options.get("log_messages", True)) and not no_contents
    return LangfuseSink.from_settings(options, env, log_messages=log_messages, **_delivery(options))


_WEBHOOK_OPTIONS = ("endpoint", "headers", "log_messages", "log_format", "event_types", "callback_type")


def _build_webhook(
    name: str, options: dict[str, Any], warnings: list[str], no_contents: bool, env: Mapping[str, str]
) -> Any:
    from llmrelay.events.sinks.webhook import WebhookSink

    _warn_unknown(name, options, (*_WEBHOOK_OPTIONS, *_DELIVERY_OPTIONS), warnings)
    log_messages = bool(options.get("log_messages", False)) and not no_contents
    return WebhookSink.from_settings(options, env, log_messages=log_messages, **_delivery(options))
