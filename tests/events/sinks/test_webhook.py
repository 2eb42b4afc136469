"""The generic webhook sink (LiteLLM's generic_api): JSON batches of call-log lines POSTed to a
receiver, with headers, retried on 5xx, bounded, flushed at close, no secrets."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from records import auth_error, record

from llmrelay.events.sinks import configure_sinks
from llmrelay.events.sinks.webhook import WebhookSink
from llmrelay.testing.receiver import ReceiverLog, ReceiverThread, ScriptedStatuses, json_receiver


@dataclass
class Receiver:
    url: str
    log: ReceiverLog
    statuses: ScriptedStatuses


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    log, statuses = ReceiverLog(), ScriptedStatuses()
    with ReceiverThread([json_receiver("/logs", log, statuses)]) as server:
        yield Receiver(server.base_url + "/logs", log, statuses)


def fast(**options: object) -> dict[str, object]:
    return {"flush_interval": 0.02, "backoff_base": 0.01, **options}


def test_records_are_posted_as_a_json_array_of_log_lines(receiver: Receiver) -> None:
    sink = WebhookSink(receiver.url, headers={"Authorization": "Bearer hook-token"}, **fast())
    sink.on_success(record())
    sink.on_failure(record(call_id="call-2", error=auth_error()))
    sink.close()
    (request,) = receiver.log.wait_for(lambda items: len(items) == 1)
    assert request.headers["authorization"] == "Bearer hook-token"
    assert request.headers["content-type"] == "application/json"
    first, second = json.loads(request.body)
    assert first["call_id"] == "call-1" and first["status"] == "ok" and first["cost_usd"] == 0.0025
    assert first["principal"] == {"kind": "master", "key_hash": "h4sh"}  # the JSON log's line shape
    assert second["status"] == "error" and second["error"]["message"] == "Incorrect API key provided: sk-***"
    text = request.body.decode()
    assert "sk-should-never-appear" not in text and "the secret plan" not in text


def test_ndjson_single_and_event_types(receiver: Receiver) -> None:
    ndjson = WebhookSink(receiver.url, log_format="ndjson", **fast())
    ndjson.on_success(record(call_id="a"))
    ndjson.on_success(record(call_id="b"))
    ndjson.close()
    single = WebhookSink(receiver.url, log_format="single", event_types=["llm_api_failure"], **fast())
    single.on_success(record(call_id="not-sent"))
    single.on_failure(record(call_id="c", error=auth_error()))
    single.on_failure(record(call_id="d", error=auth_error()))
    single.close()
    first, *rest = receiver.log.wait_for(lambda items: len(items) == 3)
    assert first.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line)["call_id"] for line in first.body.splitlines()] == ["a", "b"]
    assert [json.loads(r.body)["call_id"] for r in rest] == ["c", "d"]


def test_contents_only_when_asked_for(receiver: Receiver) -> None:
    sink = WebhookSink(receiver.url, log_messages=True, **fast())
    sink.on_success(record())
    sink.close()
    (request,) = receiver.log.wait_for(lambda items: len(items) == 1)
    (line,) = json.loads(request.body)
    assert line["messages"] == [{"role": "user", "content": "the secret plan"}]


def test_5xx_is_retried_then_delivered(receiver: Receiver) -> None:
    receiver.statuses.script(502, 500)
    sink = WebhookSink(receiver.url, **fast())
    sink.on_success(record())
    assert sink.flush(10)
    sink.close()
    assert len(receiver.log.items) == 3 and sink.poster.sent == 1 and sink.poster.failed == 0
    assert [json.loads(r.body)[0]["call_id"] for r in receiver.log.items] == ["call-1"] * 3


def test_a_refusing_endpoint_is_logged_without_its_headers(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.statuses.script(403, 403)
    sink = WebhookSink(
        receiver.url + "?token=q-secret", headers="authorization=Bearer%20hook-token", **fast()
    )
    sink.on_success(record(call_id="a"))
    sink.flush(10)
    sink.on_success(record(call_id="b"))
    sink.close()
    assert len(receiver.log.items) == 2 and sink.poster.failed == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "HTTP 403" in warnings[0]  # the second is held back
    assert "hook-token" not in caplog.text and "q-secret" not in caplog.text
    assert "hook-token" not in repr(sink) and "q-secret" not in repr(sink)


def test_bounded_when_the_endpoint_is_down() -> None:
    sink = WebhookSink("http://127.0.0.1:9/logs", max_queue=3, flush_interval=30, close_timeout=0.5)
    for i in range(5):
        sink.on_success(record(call_id=f"c{i}"))
    assert sink.dropped == 2
    sink.close()
    sink.on_success(record())  # after close: dropped, never raised
    assert sink.dropped >= 3


def test_configured_by_either_name_from_settings_or_environment(receiver: Receiver) -> None:
    env = {"GENERIC_LOGGER_ENDPOINT": receiver.url, "GENERIC_LOGGER_HEADERS": "x-team=t1"}
    configured = configure_sinks(
        callbacks=["webhook"], settings={"generic_api": {"flush_interval": 0.02}}, environ=env
    )
    (sink,) = configured.sinks
    assert isinstance(sink, WebhookSink) and sink.loop_safe and not sink.wants_contents
    sink.on_success(record())
    sink.close()
    (request,) = receiver.log.wait_for(lambda items: len(items) == 1)
    assert request.headers["x-team"] == "t1"
    assert configure_sinks(callbacks=["generic_api"], environ={}).warnings == [
        "callback 'generic_api': the webhook needs an endpoint (GENERIC_LOGGER_ENDPOINT); the sink is off"
    ]


def test_litellm_custom_names_with_callback_type_generic_api(receiver: Receiver) -> None:
    settings = {
        "audit_hook": {"callback_type": "generic_api", "endpoint": receiver.url, "flush_interval": 0.02},
        "other": {"endpoint": receiver.url},
    }
    configured = configure_sinks(callbacks=["audit_hook"], failure_callback=["other"], settings=settings)
    (sink,) = configured.sinks
    assert isinstance(sink, WebhookSink)
    assert configured.warnings == [
        "callback 'other' is not provided by llmrelay and is ignored "
        "(available: generic_api, json_log, langfuse, otel, prometheus)"
    ]
    sink.on_success(record())
    sink.close()
    (request,) = receiver.log.wait_for(lambda items: len(items) == 1)
    assert json.loads(request.body)[0]["call_id"] == "call-1"
