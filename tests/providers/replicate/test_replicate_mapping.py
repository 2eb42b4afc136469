"""Replicate requests, built without a network: model references, prediction URLs, the `input` a
chat becomes (prompt, system_prompt, the models' parameter names), headers and follow-ups."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from llmrelay.providers.registry import ProviderRegistry
from llmrelay.providers.replicate import ReplicateProvider
from llmrelay.providers.replicate.models import parse_model
from llmrelay.providers.replicate.prompt import build_input
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError, BadRequestError, UnsupportedParamsError
from llmrelay.types.http import HttpRequest, HttpResponse

VERSION = "5a6809ca6288247d06daf6365557e5e429063f32a21146b2a807c682652136b8"
API = "https://api.replicate.com/v1"
QUESTION = "Why is the sky blue?"


@pytest.fixture(autouse=True)
def _no_replicate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REPLICATE_API_KEY", "REPLICATE_API_TOKEN", "REPLICATE_API_BASE"):
        monkeypatch.delenv(name, raising=False)


def adapter() -> ReplicateProvider:
    provider = ProviderRegistry().get("replicate")
    assert isinstance(provider, ReplicateProvider)
    return provider


def chat(**fields: Any) -> ChatRequest:
    fields.setdefault("messages", [{"role": "user", "content": "Why is the sky blue?"}])
    return msgspec.convert({"model": "replicate/meta/meta-llama-3-8b-instruct", **fields}, ChatRequest)


def deployment(model: str = "meta/meta-llama-3-8b-instruct", **fields: Any) -> Deployment:
    return Deployment(provider="replicate", model=model, api_key="r8_secret_key", **fields)


# ---- model references
def test_model_references() -> None:
    official = parse_model("meta/meta-llama-3-8b-instruct")
    assert (
        official.version is None
        and official.create_path() == "models/meta/meta-llama-3-8b-instruct/predictions"
    )
    pinned = parse_model(f"meta/llama-2-70b-chat:{VERSION}")
    assert pinned.model == "meta/llama-2-70b-chat" and pinned.version == VERSION
    assert pinned.create_path() == "predictions"
    bare = parse_model(VERSION)
    assert bare.owner is None and bare.version == VERSION


@pytest.mark.parametrize(
    "model", ["llama", "meta/", "/x", "meta/llama:v1", "a/b/c", "meta/ll ama", f"x/y:{VERSION}z"]
)
def test_bad_model_references(model: str) -> None:
    with pytest.raises(BadRequestError) as info:
        parse_model(model)
    assert info.value.param == "model"


# ---- input
def test_single_turn_with_system_prompt_and_sampling() -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}]
    extra = {"prompt_template": "{prompt}", "min_tokens": 2}
    request = chat(
        messages=messages, max_tokens=64, temperature=0.3, top_p=0.9, top_k=40, seed=7, stop=["\n\n", "END"],
        presence_penalty=0.1, frequency_penalty=0.2, extra_body=extra,
    )  # fmt: skip
    assert build_input(request, "meta/meta-llama-3-8b-instruct", {}) == {
        "prompt": "Why is the sky blue?",
        "system_prompt": "Be brief.",
        "max_tokens": 64,
        "temperature": 0.3,
        "top_p": 0.9,
        "top_k": 40,
        "presence_penalty": 0.1,
        "frequency_penalty": 0.2,
        "seed": 7,
        "stop_sequences": "\n\n,END",
        "prompt_template": "{prompt}",
        "min_tokens": 2,
    }


def test_conversation_and_folded_system_prompt() -> None:
    request = chat(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": [{"type": "text", "text": "Why is the sky blue?"}]},
        ],
        max_completion_tokens=10,
    )
    data = build_input(request, "meta/llama-2-70b-chat", {"supports_system_prompt": False})
    assert data == {
        "prompt": "Be brief.\n\nuser: Hi\nassistant: Hello!\nuser: Why is the sky blue?\nassistant:",
        "max_new_tokens": 10,  # Llama 2's name for the cap
    }
    assert "max_tokens" in build_input(request, "meta/llama-2-70b-chat", {"max_tokens_field": "max_tokens"})


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "system", "content": "only a system turn"}],
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}],
        [{"role": "assistant", "content": None,
          "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]}],
    ],
)  # fmt: skip
def test_messages_a_prompt_cannot_carry(messages: list[dict[str, Any]]) -> None:
    with pytest.raises(BadRequestError) as info:
        build_input(chat(messages=messages), "m/m", {})
    assert info.value.param == "messages"


def test_unsupported_params() -> None:
    request = chat(tools=[{"type": "function", "function": {"name": "f"}}], n=2)
    with pytest.raises(UnsupportedParamsError, match="n, tools"):
        adapter().check_params(request, drop=False)
    assert adapter().check_params(request, drop=True).tools is None


# ---- requests
def test_official_model_request_waits() -> None:
    http = adapter().prepare_chat(chat(max_tokens=5), deployment())
    assert http.url == f"{API}/models/meta/meta-llama-3-8b-instruct/predictions" and http.method == "POST"
    assert http.headers["authorization"] == "Bearer r8_secret_key" and http.headers["prefer"] == "wait"
    assert msgspec.json.decode(http.body or b"") == {
        "input": {"prompt": "Why is the sky blue?", "max_tokens": 5}
    }
    assert not http.stream and "r8_secret_key" not in repr(http)


def test_pinned_version_request_and_wait_option() -> None:
    http = adapter().prepare_chat(
        chat(), deployment(f"meta/llama-2-70b-chat:{VERSION}", options={"wait_seconds": 30})
    )
    assert http.url == f"{API}/predictions" and http.headers["prefer"] == "wait=30"
    assert msgspec.json.decode(http.body or b"")["version"] == VERSION


def test_stream_request_creates_without_waiting() -> None:
    http = adapter().prepare_chat(chat(stream=True), deployment())
    body = msgspec.json.decode(http.body or b"")
    assert body["stream"] is True and "prefer" not in http.headers
    # the stream itself is opened from the prediction's urls.stream, in a follow-up
    assert not http.stream


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    keyless = Deployment(provider="replicate", model="meta/meta-llama-3-8b-instruct")
    with pytest.raises(AuthenticationError, match="REPLICATE_API_KEY or REPLICATE_API_TOKEN"):
        adapter().prepare_chat(chat(), keyless)
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_from_env")
    assert adapter().prepare_chat(chat(), keyless).headers["authorization"] == "Bearer r8_from_env"


# ---- follow-ups
def prediction(status: str, **extra: Any) -> HttpResponse:
    return HttpResponse(status=201, body=msgspec.json.encode({"id": "abc123", "status": status, **extra}))


def test_running_prediction_is_polled() -> None:
    sent = adapter().prepare_chat(chat(), deployment(options={"poll_interval": 0.25}))
    follow = adapter().follow_up(prediction("processing"), sent, deployment(options={"poll_interval": 0.25}))
    assert follow is not None and follow.delay == 0.25
    assert follow.request.method == "GET" and follow.request.url == f"{API}/predictions/abc123"
    assert follow.request.body is None and follow.request.headers["authorization"] == "Bearer r8_secret_key"
    again = adapter().follow_up(prediction("starting"), follow.request, deployment())
    assert again is not None and again.delay == 0.5
    for status in ("succeeded", "failed", "canceled"):
        assert adapter().follow_up(prediction(status), follow.request, deployment()) is None


def test_streaming_create_leads_to_its_stream() -> None:
    sent = adapter().prepare_chat(chat(stream=True), deployment())
    url = "https://stream.replicate.com/v1/files/qoxq-abc"
    follow = adapter().follow_up(prediction("starting", urls={"stream": url}), sent, deployment())
    assert follow is not None and follow.request.stream and follow.request.method == "GET"
    assert follow.request.url == url and follow.request.headers["accept"] == "text/event-stream"
    assert follow.request.headers["authorization"] == "Bearer r8_secret_key"


def test_the_key_goes_only_to_replicate_hosts() -> None:
    sent = adapter().prepare_chat(chat(stream=True), deployment())
    foreign = prediction("starting", urls={"stream": "https://evil.example/stream/abc"})
    follow = adapter().follow_up(foreign, sent, deployment())
    assert follow is not None and "authorization" not in follow.request.headers
    lookalike = prediction("starting", urls={"stream": "https://notreplicate.com/s"})
    follow = adapter().follow_up(lookalike, sent, deployment())
    assert follow is not None and "authorization" not in follow.request.headers


def test_stream_without_a_stream_url() -> None:
    sent = adapter().prepare_chat(chat(stream=True), deployment())
    with pytest.raises(BadRequestError, match="does not stream") as info:
        adapter().follow_up(prediction("starting", urls={"get": "x"}), sent, deployment())
    assert info.value.param == "stream"


def test_catalog_names() -> None:
    assert (
        adapter().catalog_model(deployment(f"meta/meta-llama-3-70b-instruct:{VERSION}"))
        == "meta/llama-3-70b-instruct"
    )
    assert adapter().catalog_model(deployment("deepseek-ai/deepseek-r1")) == "deepseek-ai/deepseek-r1"


def test_a_poll_is_not_a_create() -> None:
    poll = HttpRequest(url=f"{API}/predictions/abc123", headers={}, method="GET")
    assert (
        adapter().follow_up(prediction("succeeded", urls={"stream": "https://x"}), poll, deployment()) is None
    )
