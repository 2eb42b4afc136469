"""The Langfuse sink against the ingestion simulator: event shapes, auth, batching, retries on 5xx
and 429, 207 partial failures, bounded queue, no secrets, contents on by default and off on request."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from records import auth_error, record

from llmrelay.events.sinks import configure_sinks
from llmrelay.events.sinks.langfuse import LangfuseSink
from llmrelay.testing.langfuse_sim import LangfuseSimulator
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.response import (
    ChatResponse,
    Choice,
    PromptTokensDetails,
    ResponseMessage,
    Usage,
)


@pytest.fixture
def langfuse() -> Iterator[LangfuseSimulator]:
    with LangfuseSimulator() as sim:
        yield sim


def sink_for(sim: LangfuseSimulator, **options: Any) -> LangfuseSink:
    settings = {"flush_interval": 0.02, "backoff_base": 0.01, **options}
    return LangfuseSink(public_key=sim.public_key, secret_key=sim.secret_key, host=sim.base_url, **settings)


def response() -> ChatResponse:
    return ChatResponse(
        id="chatcmpl-7",
        created=1,
        model="gpt-4o-mini-2024-07-18",
        choices=[Choice(index=0, message=ResponseMessage(content="the answer"), finish_reason="stop")],
        usage=Usage(prompt_tokens=11, completion_tokens=7, total_tokens=18),
    )


def test_a_call_is_a_trace_and_a_generation(langfuse: LangfuseSimulator) -> None:
    sink = sink_for(langfuse, environment="staging", release="v9")
    request = ChatRequest(model="gpt-group", messages=[Message(role="user", content="hi")], temperature=0.3)
    principal = SimpleNamespace(kind="virtual_key", key_hash="h4sh", key_alias="ci", user_id="u-1")
    metadata = {
        "request_id": "req-9",
        "principal": principal,
        "tags": ["nightly"],
        "session_id": "s-1",
        "api_key": "sk-should-never-appear",
    }
    usage = Usage(
        prompt_tokens=11,
        completion_tokens=7,
        total_tokens=18,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=4),
    )
    sink.on_stream_complete(
        record(stream=True, request=request, response=response(), metadata=metadata, usage=usage, attempts=2)
    )
    sink.close()
    trace_event, generation_event = langfuse.wait_events(2)
    assert trace_event["id"] == "call-1-trace" and trace_event["type"] == "trace-create"
    assert generation_event["id"] == "call-1-generation" and generation_event["type"] == "generation-create"
    trace, generation = trace_event["body"], generation_event["body"]
    assert trace["id"] == "call-1" and trace["timestamp"] == "1970-01-01T00:16:40.000Z"
    assert trace["name"] == "llmrelay-completion"
    assert trace["userId"] == "u-1" and trace["sessionId"] == "s-1" and trace["tags"] == ["nightly"]
    assert trace["environment"] == "staging" and trace["release"] == "v9"
    assert generation["traceId"] == "call-1" and generation["id"] == "call-1"
    assert generation["name"] == "chat gpt-group"
    assert generation["startTime"] == "1970-01-01T00:16:40.000Z"
    assert generation["endTime"] == "1970-01-01T00:16:40.250Z"
    assert generation["completionStartTime"] == "1970-01-01T00:16:40.050Z"
    assert generation["model"] == "gpt-4o-mini-2024-07-18"
    assert generation["modelParameters"] == {"temperature": 0.3}
    assert generation["usageDetails"] == {"input": 11, "output": 7, "total": 18, "cache_read_input_tokens": 4}
    assert generation["costDetails"] == {"total": 0.0025}
    assert generation["level"] == "DEFAULT" and "statusMessage" not in generation
    assert generation["metadata"]["model_group"] == "gpt-group"
    assert generation["metadata"]["deployment"] == "dep-1" and generation["metadata"]["attempts"] == 2
    assert generation["metadata"]["key_alias"] == "ci" and generation["metadata"]["request_id"] == "req-9"
    # contents by default, as LiteLLM sends them
    assert generation["input"] == [{"role": "user", "content": "hi"}]
    assert generation["output"] == {"content": "the answer", "role": "assistant"}
    assert trace["input"] == generation["input"] and trace["output"] == generation["output"]
    text = json.dumps(langfuse.events)
    assert "h4sh" not in text and "sk-should-never-appear" not in text


def test_a_failure_is_an_error_level_generation(langfuse: LangfuseSimulator) -> None:
    sink = sink_for(langfuse, log_messages=False)
    sink.on_failure(record(error=auth_error()))
    sink.close()
    generation = langfuse.wait_events(2)[1]["body"]
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"] == "AuthenticationError: Incorrect API key provided: sk-***"
    assert generation["metadata"]["error"]["status_code"] == 401
    assert "usageDetails" not in generation and "costDetails" not in generation
    assert "input" not in generation and "output" not in generation
    assert "sk-abcdef123456" not in json.dumps(langfuse.events)


def test_client_metadata_names_the_trace_and_generation(langfuse: LangfuseSimulator) -> None:
    sink = sink_for(langfuse)
    metadata = {"trace_id": "conversation-1", "trace_name": "support", "generation_name": "draft"}
    sink.on_success(record(metadata=metadata))
    sink.on_success(record(call_id="call-2", metadata=metadata))
    sink.close()
    langfuse.wait_events(4)
    assert list(langfuse.traces) == ["conversation-1"]
    assert langfuse.traces["conversation-1"]["name"] == "support"
    assert {g["traceId"] for g in langfuse.generations.values()} == {"conversation-1"}
    assert {g["name"] for g in langfuse.generations.values()} == {"draft"}


def test_basic_auth_header_and_batching(langfuse: LangfuseSimulator) -> None:
    sink = sink_for(langfuse, batch_size=4, flush_interval=30)
    for i in range(4):
        sink.on_success(record(call_id=f"c{i}"))
    # 8 events, batches of 4: sent without waiting for the (long) interval
    requests = langfuse.log.wait_for(lambda items: len(items) == 2)
    sink.close()
    expected = "Basic " + base64.b64encode(b"pk-lf-test:sk-lf-test-secret").decode()
    for request in requests:
        assert request.headers["authorization"] == expected
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.body)
        assert len(body["batch"]) == 4 and body["metadata"]["sdk_name"] == "llmrelay"
    assert len(langfuse.events) == 8 and sink.poster.sent == 8


def test_5xx_and_429_are_retried(langfuse: LangfuseSimulator) -> None:
    langfuse.statuses.script(500, 429)
    sink = sink_for(langfuse)
    sink.on_success(record())
    assert sink.flush(10)
    sink.close()
    assert len(langfuse.log.items) == 3
    assert len(langfuse.events) == 2 and sink.poster.failed == 0


def test_retries_are_bounded_and_failures_logged_once(
    langfuse: LangfuseSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    langfuse.statuses.script(*[503] * 20)
    sink = sink_for(langfuse, max_retries=2)
    sink.on_success(record(call_id="c0"))
    sink.flush(10)
    sink.on_success(record(call_id="c1"))
    sink.close()
    assert len(langfuse.log.items) == 6  # 1 + 2 retries, twice
    assert sink.poster.failed == 4 and langfuse.events == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "after 3 attempts (HTTP 503)" in warnings[0]


def test_4xx_is_not_retried_and_secrets_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    with LangfuseSimulator(secret_key="sk-lf-the-real-one") as langfuse:
        sink = LangfuseSink(
            public_key=langfuse.public_key,
            secret_key="sk-lf-wrong-secret",
            host=langfuse.base_url,
            flush_interval=0.02,
        )
        sink.on_success(record())
        sink.close()
        assert len(langfuse.log.items) == 1
    assert sink.poster.failed == 2
    assert "HTTP 401" in caplog.text
    assert "sk-lf-wrong-secret" not in caplog.text and "sk-lf-wrong-secret" not in repr(sink)
    encoded = base64.b64encode(b"pk-lf-test:sk-lf-wrong-secret").decode()
    assert encoded not in caplog.text


def test_207_partial_failures(langfuse: LangfuseSimulator, caplog: pytest.LogCaptureFixture) -> None:
    langfuse.fail_event("c0-generation", 500)  # passes when sent again
    langfuse.fail_event("c1-generation", 400)  # never will: logged, not retried
    sink = sink_for(langfuse)
    sink.on_success(record(call_id="c0"))
    sink.on_success(record(call_id="c1"))
    sink.close()
    assert sorted(e["id"] for e in langfuse.events) == ["c0-generation", "c0-trace", "c1-trace"]
    assert sink.rejected == 1
    assert "c1-generation (generation-create) rejected: HTTP 400" in caplog.text


def test_a_full_queue_drops_and_counts() -> None:
    # nothing listens on this port: the poster is stuck retrying, the queue fills
    sink = LangfuseSink(
        public_key="pk",
        secret_key="sk",
        host="http://127.0.0.1:9",
        max_queue=4,
        flush_interval=30,
        batch_size=100,
        close_timeout=0.5,
    )
    for i in range(5):
        sink.on_success(record(call_id=f"c{i}"))
    assert sink.dropped == 6  # two events a call: c2, c3, c4 did not fit
    sink.close()


def test_configured_from_settings_and_environment(langfuse: LangfuseSimulator) -> None:
    env = {
        "LANGFUSE_PUBLIC_KEY": langfuse.public_key,
        "LANGFUSE_SECRET_KEY": langfuse.secret_key,
        "LANGFUSE_BASE_URL": langfuse.base_url,
    }
    configured = configure_sinks(
        callbacks=["langfuse"],
        settings={"langfuse": {"flush_interval": "0.02"}},
        turn_off_message_logging=True,
        environ=env,
    )
    (sink,) = configured.sinks
    assert isinstance(sink, LangfuseSink) and sink.loop_safe and not sink.log_messages
    sink.on_success(record())
    sink.close()
    assert "input" not in langfuse.wait_events(2)[1]["body"]


def test_missing_keys_leave_the_sink_out() -> None:
    configured = configure_sinks(callbacks=["langfuse"], environ={})
    assert configured.sinks == []
    (warning,) = configured.warnings
    assert "LANGFUSE_PUBLIC_KEY" in warning and warning.endswith("the sink is off")
