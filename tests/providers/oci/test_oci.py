"""OCI Generative AI (`oci/<model>`) end to end against the OCI simulator, which verifies each
request's signature as OCI does: GENERIC and COHERE chat, streams (split anywhere), tools, a key
given as text or read from its file (off the event loop, picked up again after rotation), dedicated
endpoints, and refusals that name what is wrong and never the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

import llmrelay
from llmrelay.providers.oci.adapter import OCIProvider
from llmrelay.providers.oci.signing import signing_string
from llmrelay.testing import RunningSimulator
from llmrelay.testing.oci_sim import COMPARTMENT, OCISimulator
from llmrelay.testing.stream_splits import assert_splits_decode_alike, decoding_with
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.response import ChatChunk, ChatResponse

USER = [{"role": "user", "content": "What is the capital of France?"}]
LLAMA = "oci/meta.llama-3.3-70b-instruct"
COMMAND = "oci/cohere.command-r-plus-08-2024"
OCI_ENV = (
    "OCI_REGION",
    "OCI_USER",
    "OCI_FINGERPRINT",
    "OCI_TENANCY",
    "OCI_KEY",
    "OCI_KEY_FILE",
    "OCI_COMPARTMENT_ID",
)


@pytest.fixture(autouse=True)
def _no_oci_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OCI_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def oci(start_sim: Any) -> RunningSimulator:
    sim: RunningSimulator = start_sim("oci")
    return sim


def simulator(sim: RunningSimulator) -> OCISimulator:
    assert isinstance(sim.simulator, OCISimulator)
    return sim.simulator


async def complete(
    sim: RunningSimulator, model: str = LLAMA, settings: dict[str, str] | None = None, **params: Any
) -> Any:
    """A call signed with `settings` (default: the simulator's own key's)."""
    params.setdefault("messages", USER)
    signing = simulator(sim).default_settings() if settings is None else settings
    kwargs = {"api_base": sim.api_base, **signing, "max_retries": 0, **params}
    async with llmrelay.Client() as client:
        answer = await client.acompletion(model, **kwargs)
        if params.get("stream"):
            # read while the client (and its connections) is open
            return [chunk async for chunk in answer]
        return answer


async def test_generic_chat_is_signed_and_answered(oci: RunningSimulator) -> None:
    answer = await complete(oci, temperature=0.2, max_tokens=50)
    assert isinstance(answer, ChatResponse) and answer.choices[0].message.content
    assert (
        answer.choices[0].finish_reason == "stop" and answer.usage is not None and answer.usage.prompt_tokens
    )
    sent = oci.requests.last
    assert sent.path == "/20231130/actions/chat"
    assert sent.body == {
        "compartmentId": COMPARTMENT,
        "servingMode": {"servingType": "ON_DEMAND", "modelId": "meta.llama-3.3-70b-instruct"},
        "chatRequest": {
            "apiFormat": "GENERIC",
            "temperature": 0.2,
            "maxTokens": 50,
            "messages": [{"role": "USER", "content": [{"type": "TEXT", "text": USER[0]["content"]}]}],
        },
    }
    auth = sent.header("authorization")
    assert auth.startswith('Signature version="1",keyId="ocid1.tenancy.oc1..sim/ocid1.user.oc1..sim/')
    assert 'headers="date (request-target) host content-length content-type x-content-sha256"' in auth


async def test_cohere_chat_with_history_and_preamble(oci: RunningSimulator) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Name a city."},
    ]
    answer = await complete(oci, COMMAND, messages=messages, top_k=5, stop=["\n\n"])
    assert answer.choices[0].message.content and answer.choices[0].finish_reason == "stop"
    request = oci.requests.last.body["chatRequest"]
    assert request == {
        "apiFormat": "COHERE",
        "message": "Name a city.",
        "preambleOverride": "Be brief.",
        "chatHistory": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello!"}],
        "topK": 5,
        "stopSequences": ["\n\n"],
    }
    # what Cohere's format cannot take is refused by name
    with pytest.raises(errors.UnsupportedParamsError, match="tool_choice"):
        await complete(oci, COMMAND, tool_choice="auto", tools=[_WEATHER])


_WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


async def test_generic_tool_call_round_trip(oci: RunningSimulator) -> None:
    asked = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = await complete(oci, messages=asked, tools=[_WEATHER])
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls" and call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)
    sent = oci.requests.last.body["chatRequest"]
    assert sent["tools"] == [
        {
            "type": "FUNCTION",
            "name": "get_weather",
            "description": "weather of a city",
            "parameters": _WEATHER["function"]["parameters"],
        }
    ]
    follow = [
        *asked,
        {"role": "assistant", "content": None, "tool_calls": [call.to_dict()]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"},
    ]
    second = await complete(oci, messages=follow, tools=[_WEATHER])
    assert second.choices[0].message.content and second.choices[0].finish_reason == "stop"
    turns = oci.requests.last.body["chatRequest"]["messages"]
    assert turns[1]["toolCalls"][0]["id"] == call.id and turns[2] == {
        "role": "TOOL",
        "content": [{"type": "TEXT", "text": "18C and sunny"}],
        "toolCallId": call.id,
    }


@pytest.mark.parametrize("model", [LLAMA, COMMAND])
async def test_streams_decode_alike_however_split(oci: RunningSimulator, model: str) -> None:
    chunks = await complete(oci, model, stream=True)
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text and [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "stop"
    assert oci.requests.last.body["chatRequest"]["isStream"] is True
    request = msgspec.convert(
        {"model": model.removeprefix("oci/"), "messages": USER, "stream": True}, ChatRequest
    )

    def plain(pieces: list[bytes]) -> list[dict[str, Any]]:
        decoded = decoding_with(lambda: OCIProvider().chat_stream_decoder(request))(pieces)
        return [{k: v for k, v in c.to_dict().items() if k not in ("id", "created")} for c in decoded]

    body = await _stream_bytes(oci, model)
    whole = plain([body])
    # the Cohere stream's last event repeats the whole text: it is not emitted twice
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in whole if c["choices"]) == text
    assert_splits_decode_alike(body, plain, model)
    assert_splits_decode_alike(body.replace(b"\n", b"\r\n"), plain, model + "-crlf")


async def _stream_bytes(sim: RunningSimulator, model: str) -> bytes:
    """The simulator's stream answer as bytes, fetched with a signed request."""
    from llmrelay.transport.http import HttpTransport

    adapter = OCIProvider()
    deployment = Deployment(
        provider="oci",
        model=model.removeprefix("oci/"),
        api_base=sim.api_base,
        options=simulator(sim).default_settings(),
    )
    request = msgspec.convert({"model": model, "messages": USER, "stream": True}, ChatRequest)
    prepared = adapter.prepare_chat(request, deployment)
    prepared.stream = False
    transport = HttpTransport()
    try:
        response = await transport.send(prepared, 30)
    finally:
        await transport.aclose()
    assert response.status == 200
    return response.body


async def test_generic_stream_reports_usage_last(oci: RunningSimulator) -> None:
    chunks: list[ChatChunk] = await complete(oci, stream=True, stream_options={"include_usage": True})
    assert (
        chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    )


async def test_a_key_file_is_read_off_the_loop_and_rotation_is_picked_up(
    oci: RunningSimulator, tmp_path: Path
) -> None:
    settings = simulator(oci).new_key("aa:bb:cc")
    path = tmp_path / "oci_api_key.pem"
    path.write_text(settings.pop("oci_key"))
    answer = await complete(oci, settings={**settings, "oci_key_file": str(path)})
    assert answer.choices[0].message.content
    grant = OCIProvider().token_grant(
        Deployment(provider="oci", model="m", options={**settings, "oci_key_file": str(path)})
    )
    assert grant is not None and str(path) not in grant.cache_key
    # another key in the file, not registered: the simulator refuses its signature
    other = simulator(oci).new_key("dd:ee:ff")["oci_key"]
    path.write_text(other)
    with pytest.raises(errors.AuthenticationError, match="does not verify"):
        await complete(oci, settings={**settings, "oci_key_file": str(path)})


async def test_refusals_name_what_is_wrong_and_never_the_key(oci: RunningSimulator) -> None:
    settings = simulator(oci).default_settings()
    with pytest.raises(errors.AuthenticationError, match="unknown keyId") as caught:
        await complete(oci, settings={**settings, "oci_fingerprint": "00:00"})
    assert "PRIVATE KEY" not in str(caught.value)
    secret_marker = "SECRETKEYMATERIAL"
    bad = f"-----BEGIN PRIVATE KEY-----\n{secret_marker}\n-----END PRIVATE KEY-----"
    with pytest.raises(errors.AuthenticationError, match="not an unencrypted PEM private key") as caught:
        await complete(oci, settings={**settings, "oci_key": bad})
    assert secret_marker not in str(caught.value) and caught.value.__cause__ is None
    with pytest.raises(errors.AuthenticationError, match="oci_user"):
        await complete(oci, settings={k: v for k, v in settings.items() if k != "oci_user"})
    with pytest.raises(errors.BadRequestError, match="oci_compartment_id"):
        await complete(oci, settings={k: v for k, v in settings.items() if k != "oci_compartment_id"})


def test_urls_regions_and_dedicated_endpoints() -> None:
    from llmrelay.providers.oci import config

    dep = Deployment(provider="oci", model="meta.llama", options={"oci_region": "us-chicago-1"})
    assert (
        config.chat_url(dep)
        == "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/20231130/actions/chat"
    )
    given = Deployment(provider="oci", model="m", api_base="https://x.example/20231130/actions/chat")
    assert config.chat_url(given) == "https://x.example/20231130/actions/chat"
    with pytest.raises(errors.BadRequestError, match="not a region"):
        config.chat_url(Deployment(provider="oci", model="m", options={"oci_region": "../evil"}))
    dedicated = Deployment(
        provider="oci",
        model="m",
        options={"oci_serving_mode": "DEDICATED", "oci_endpoint_id": "ocid1.endpoint.oc1..x"},
    )
    assert config.serving_mode(dedicated) == {
        "servingType": "DEDICATED",
        "endpointId": "ocid1.endpoint.oc1..x",
    }


def test_the_signing_string_covers_the_target_with_its_query() -> None:
    text = signing_string(
        "POST",
        "https://h.example:8443/a/b?x=1",
        {"date": "D", "content-length": "2"},
        ("date", "(request-target)", "host", "content-length"),
    )
    assert text == "date: D\n(request-target): post /a/b?x=1\nhost: h.example:8443\ncontent-length: 2"
