"""OpenAI's /audio/speech: the adapter's request and parsing, a compatible row without it, the
per-character and per-token prices, then the SDK (`llmrelay.speech` / `aspeech`) against the OpenAI
simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import llmrelay
from llmrelay.calls.operation import SPEECH
from llmrelay.calls.served import served_of
from llmrelay.cost.catalog import Catalog
from llmrelay.engine.pricing import DeploymentPrices, Pricer
from llmrelay.events.record import CallRecord
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.testing.openai_audio import spoken_wav
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError
from llmrelay.types.http import HttpResponse
from llmrelay.types.speech import SpeechRequest, SpeechResponse

REGISTRY = ProviderRegistry()


# ---- adapter (sans-IO)
def test_speech_request_and_parse() -> None:
    adapter = REGISTRY.get("openai")
    deployment = Deployment(provider="openai", model="tts-1-hd", api_key="sk-1")
    request = SpeechRequest(
        model="group", input="hi", voice="echo", response_format="flac", speed=0.5, extra_body={"x": 1}
    )
    sent = adapter.prepare_speech(request, deployment)
    assert sent.url == "https://api.openai.com/v1/audio/speech"
    assert sent.headers["authorization"] == "Bearer sk-1"
    assert json.loads(sent.body or b"") == {
        "model": "tts-1-hd", "input": "hi", "voice": "echo", "response_format": "flac", "speed": 0.5,
        "x": 1,
    }  # fmt: skip
    # the provider's content type wins; without one, the asked format's
    told = adapter.parse_speech(
        HttpResponse(status=200, body=b"fLaC..", headers={"content-type": "audio/x-flac"}), request
    )
    assert (told.content, told.content_type) == (b"fLaC..", "audio/x-flac")
    untold = adapter.parse_speech(HttpResponse(status=200, body=b"fLaC.."), request)
    assert untold.content_type == "audio/flac"


def test_rows_without_speech_have_no_codec_for_it() -> None:
    for provider in ("groq", "anthropic", "azure"):
        assert "speech" not in REGISTRY.get(provider).codecs, provider
        with pytest.raises(BadRequestError, match=f"provider '{provider}' does not support speech"):
            REGISTRY.get(provider).codec("speech", SPEECH.label)
    assert "speech" in REGISTRY.get("openai").codecs and "speech" in REGISTRY.get("openai_like").codecs


@pytest.mark.parametrize(
    ("model", "micros"),
    [("tts-1", 15 * 10), ("tts-1-hd", 30 * 10), ("no-such-tts", 0)],
)
def test_speech_prices_per_character(model: str, micros: int) -> None:
    pricer = Pricer(REGISTRY, Catalog())
    deployment = Deployment(provider="openai", model=model, api_key="k")
    request = SpeechRequest(model=model, input="0123456789", voice="alloy")
    prices = DeploymentPrices(pricer, deployment, pricer.adapter(deployment))
    assert SPEECH.price(prices, request, SpeechResponse(content=b"", content_type="audio/mpeg")) == micros


def test_a_token_priced_speech_model_pays_its_input_tokens() -> None:
    pricer = Pricer(REGISTRY, Catalog())
    deployment = Deployment(provider="openai", model="gpt-4o-mini-tts", api_key="k")
    request = SpeechRequest(model="m", input="hello " * 100, voice="alloy")
    info = pricer.model_info(deployment)
    assert info is not None and info.per_character is None and info.input
    prices = DeploymentPrices(pricer, deployment, pricer.adapter(deployment))
    assert SPEECH.price(prices, request, SpeechResponse(content=b"", content_type="audio/mpeg")) > 0


def test_gpt_4o_mini_tts_pays_its_audio_out_by_the_second_when_the_format_tells_it() -> None:
    pricer = Pricer(REGISTRY, Catalog())
    deployment = Deployment(provider="openai", model="gpt-4o-mini-tts", api_key="k")
    prices = DeploymentPrices(pricer, deployment, pricer.adapter(deployment))
    request = SpeechRequest(model="m", input="hello " * 100, voice="alloy")
    words = SPEECH.price(prices, request, SpeechResponse(content=b"ID3" + b"\0" * 96_000))
    # pcm: 24 kHz 16-bit mono, so 96 000 bytes are 2 s; $0.015 a minute is 250 micro-USD a second
    pcm = SpeechResponse(content=b"\0" * 96_000, content_type="audio/pcm")
    assert SPEECH.price(prices, request, pcm) == words + 2 * 250
    # a wav's header says its length (OpenAI's streamed wav declares more than it sends)
    wav = spoken_wav("", 3.0)
    assert (
        SPEECH.price(prices, request, SpeechResponse(content=wav, content_type="audio/wav"))
        == words + 3 * 250
    )
    # tts-1 is priced per character only
    tts = Deployment(provider="openai", model="tts-1", api_key="k")
    per_character = DeploymentPrices(pricer, tts, pricer.adapter(tts))
    assert SPEECH.price(per_character, request, pcm) == 600 * 15


# ---- the SDK against the simulator
async def test_aspeech(openai_sim: RunningSimulator, tmp_path: Path) -> None:
    audio = await llmrelay.aspeech(
        model="openai/tts-1", input="a heron at dawn", voice="alloy", response_format="aac",
        **openai_sim.sdk_kwargs(),
    )  # fmt: skip
    assert audio.content_type == "audio/aac"
    assert audio.content == b"\xff\xf1\x50\x80" + b"a heron at dawn"
    audio.stream_to_file(tmp_path / "heron.aac")
    assert (tmp_path / "heron.aac").read_bytes() == audio.content
    served = served_of(audio)  # the engine's record: who served it and its per-character price
    assert (served.provider, served.cost_micros) == ("openai", 15 * len("a heron at dawn"))
    assert openai_sim.requests.last.body["model"] == "tts-1"


def test_sync_speech_and_its_bad_input(openai_sim: RunningSimulator) -> None:
    audio = llmrelay.speech("openai/tts-1-hd", "hello", "nova", **openai_sim.sdk_kwargs())
    assert audio.content.startswith(b"ID3") and audio.content.endswith(b"hello")
    with pytest.raises(BadRequestError) as bad:
        llmrelay.speech("openai/tts-1", "hello", "nova", speed=9, **openai_sim.sdk_kwargs())
    assert bad.value.param == "speed"
    with pytest.raises(BadRequestError) as long:
        llmrelay.speech("openai/tts-1", "x" * 4097, "nova", **openai_sim.sdk_kwargs())
    assert long.value.param == "input"
    assert openai_sim.requests.count("/v1/audio/speech") == 1


async def test_router_aspeech_is_retried_and_recorded(openai_sim: RunningSimulator) -> None:
    records: list[CallRecord] = []

    class Sink:
        def on_success(self, record: CallRecord) -> None:
            records.append(record)

    group = [{"model_name": "voice", "litellm_params": {"model": "openai/tts-1", **openai_sim.sdk_kwargs()}}]
    router = Router(model_list=group, callbacks=[Sink()])
    openai_sim.faults.fail_next(1, 500)
    try:
        audio = await router.aspeech(model="voice", input="retry me", voice="alloy", num_retries=1)
        assert audio.content.endswith(b"retry me")
        served = served_of(audio)
        assert (served.attempts, served.model_group, served.cost_micros) == (2, "voice", 15 * 8)
        await router.aflush()
        (record,) = records
        assert (record.call_type, record.cost_micros) == ("speech", 15 * 8)
    finally:
        await router.aclose()
