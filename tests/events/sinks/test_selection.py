"""Choosing sinks from LiteLLM's callback settings."""

from __future__ import annotations

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
        callbacks="langfuse", failure_callback=["Prometheus"], settings={"prometheus": {"port": 9}}
    )
    assert len(configured.sinks) == 1
    assert any("'langfuse' is not provided" in w for w in configured.warnings)
    assert any("callback_settings.prometheus.port" in w for w in configured.warnings)
    (callback,) = configured.callbacks
    callback.on_failure(record(error=auth_error()))
    assert getattr(callback, "on_success", None) is None
