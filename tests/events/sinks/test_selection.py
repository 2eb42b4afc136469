"""Choosing sinks from LiteLLM's callback settings."""

from __future__ import annotations

import sys

import pytest
from records import auth_error, record

from llmrelay.events.sinks import SinkOnly, configure_sinks
from llmrelay.events.sinks.jsonlog import JsonLogSink
from llmrelay.events.sinks.prometheus import PrometheusSink


def test_callbacks_hear_every_hook() -> None:
    configured = configure_sinks(callbacks=["prometheus", "json_log"])
    assert [type(s) for s in configured.sinks] == [PrometheusSink, JsonLogSink]
    assert configured.callbacks == configured.sinks
    assert configured.metrics is configured.sinks[0]
    assert configured.warnings == []


def test_success_only_sink_does_not_hear_failures() -> None:
    configured = configure_sinks(success_callback=["prometheus"])
    (callback,) = configured.callbacks
    assert isinstance(callback, SinkOnly)
    assert getattr(callback, "on_failure", None) is None
    callback.on_success(record())
    callback.on_stream_complete(record(stream=True))
    text = configured.metrics.render().decode()
    assert 'llmrelay_requests_total{model="gpt-group",provider="openai",status="ok"} 2.0' in text


def test_one_sink_for_a_name_in_both_lists() -> None:
    configured = configure_sinks(success_callback=["jsonl"], failure_callback=["json_logs"])
    assert len(configured.sinks) == 1
    assert configured.callbacks == configured.sinks  # both halves: the sink itself


def test_unknown_names_and_options_are_warnings() -> None:
    configured = configure_sinks(
        callbacks="datadog", failure_callback=["Prometheus"], settings={"prometheus": {"port": 9}}
    )
    assert len(configured.sinks) == 1
    assert any("'datadog' is not provided" in w for w in configured.warnings)
    assert any("callback_settings.prometheus.port" in w for w in configured.warnings)
    (callback,) = configured.callbacks
    callback.on_failure(record(error=auth_error()))
    assert getattr(callback, "on_success", None) is None


def test_otel_by_either_name_with_its_settings() -> None:
    pytest.importorskip("opentelemetry.sdk")
    from llmrelay.events.sinks.otel import OtelSink

    configured = configure_sinks(
        callbacks=["opentelemetry"],
        settings={"otel": {"endpoint": "http://127.0.0.1:9", "log_messages": True, "max_queue_size": "8"}},
        environ={},
    )
    try:
        (sink,) = configured.sinks
        assert isinstance(sink, OtelSink) and sink.loop_safe
        assert sink.log_messages and sink.max_queue_size == 8
        assert configured.warnings == []
    finally:
        for s in configured.sinks:
            s.close()


def test_turn_off_message_logging_wins_over_sink_options() -> None:
    pytest.importorskip("opentelemetry.sdk")
    configured = configure_sinks(
        callbacks=["otel", "json_log"],
        settings={"opentelemetry": {"log_messages": True, "color": 1}, "json_log": {"log_messages": True}},
        turn_off_message_logging=True,
        environ={},
    )
    try:
        assert [s.log_messages for s in configured.sinks] == [False, False]
        assert [s.wants_contents for s in configured.sinks] == [False, False]
        assert configured.warnings == ["callback_settings.otel.color: unknown option, ignored"]
    finally:
        for s in configured.sinks:
            s.close()


def test_a_sink_that_cannot_be_built_is_left_out_with_a_warning() -> None:
    pytest.importorskip("opentelemetry.sdk")
    configured = configure_sinks(callbacks=["otel", "prometheus"], settings={"otel": {"headers": "novalue"}})
    assert [type(s) for s in configured.sinks] == [PrometheusSink]
    (warning,) = configured.warnings
    assert warning.startswith("callback 'otel': otel headers: entry 1")
    assert warning.endswith("the sink is off")


def test_a_missing_optional_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # a None entry in sys.modules makes the import fail as a missing package does
    monkeypatch.setitem(sys.modules, "llmrelay.events.sinks.otel", None)
    configured = configure_sinks(callbacks=["otel"])
    assert configured.sinks == []
    (warning,) = configured.warnings
    assert "install llmrelay[otel]" in warning
