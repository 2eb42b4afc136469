"""Deepgram's /v1/listen (`deepgram/<model>`): the adapter's request (the audio as the body, options
as query parameters, `Token` auth) and what it refuses, its answer read into OpenAI's transcription
shapes, and the SDK against the Deepgram simulator, priced per second of the reported duration."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

import llmrelay
from llmrelay.calls.operation import TRANSCRIPTION, TRANSLATION
from llmrelay.calls.served import served_of
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.openai_audio import spoken_wav
from llmrelay.types.audio import TranscriptionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError, BadRequestError, InternalServerError
from llmrelay.types.files import FileUpload
from llmrelay.types.http import HttpResponse

REGISTRY = ProviderRegistry()
SAID = "Deepgram hears this sentence, word by word."
WAV = spoken_wav(SAID, 12.4)
DEPLOYMENT = Deployment(provider="deepgram", model="nova-3", api_key="dg-1")
# nova-3: $0.0043 a minute, 71.67 micro-USD a second
NOVA_3_COST = round(71.67 * 12.4)


@pytest.fixture
def deepgram_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    sim = simulators.deepgram
    sim.reset()
    yield sim
    sim.reset()


def test_the_request_is_the_audio_with_options_in_the_query() -> None:
    request = TranscriptionRequest(
        file=FileUpload(data=WAV, filename="a.wav", content_type="audio/wav"), model="group", language="en",
        extra_body={"smart_format": True, "keyterm": "Deepgram", "utterances": False},
    )  # fmt: skip
    sent = REGISTRY.get("deepgram").codec("transcription", TRANSCRIPTION.label).prepare(request, DEPLOYMENT)
    url = urlsplit(sent.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://api.deepgram.com/v1/listen"
    assert dict(parse_qsl(url.query)) == {
        "model": "nova-3", "language": "en", "smart_format": "true", "keyterm": "Deepgram",
        "utterances": "false",
    }  # fmt: skip
    assert sent.headers["authorization"] == "Token dg-1" and sent.headers["content-type"] == "audio/wav"
    assert sent.body == WAV


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"prompt": "names"}, "prompt"),
        ({"temperature": 0.2}, "temperature"),
        ({"response_format": "srt"}, "response_format"),
        (
            {"response_format": "verbose_json", "timestamp_granularities": ["segment"]},
            "timestamp_granularities",
        ),
        ({"extra_body": {"keywords": ["a", "b"]}}, "keywords"),
    ],
)
def test_what_deepgram_has_no_equivalent_of_is_refused(fields: dict[str, object], param: str) -> None:
    request = TranscriptionRequest(file=FileUpload(data=WAV), model="m", **fields)  # type: ignore[arg-type]
    with pytest.raises(BadRequestError) as refused:
        REGISTRY.get("deepgram").codec("transcription", TRANSCRIPTION.label).prepare(request, DEPLOYMENT)
    assert refused.value.param == param


def test_translations_are_not_served() -> None:
    with pytest.raises(BadRequestError, match="provider 'deepgram' does not support audio translations"):
        REGISTRY.get("deepgram").codec("translation", TRANSLATION.label)


def test_a_malformed_answer_is_a_provider_error() -> None:
    request = TranscriptionRequest(file=FileUpload(data=WAV), model="m")
    parse = REGISTRY.get("deepgram").codec("transcription", TRANSCRIPTION.label).parse
    for body in (b'{"metadata": {}, "results": {"channels": []}}', b"<html>", b'{"results": 1}'):
        with pytest.raises(InternalServerError, match="malformed response"):
            parse(HttpResponse(status=200, body=body), request)


async def test_atranscription_against_the_simulator(deepgram_sim: RunningSimulator) -> None:
    answer = await llmrelay.atranscription(
        "deepgram/nova-3", ("a.wav", WAV), smart_format=True, **deepgram_sim.sdk_kwargs()
    )
    assert answer.text == SAID
    assert answer.usage is not None and answer.usage.seconds == 12.4
    served = served_of(answer)
    assert (served.provider, served.cost_micros) == ("deepgram", NOVA_3_COST)
    sent = deepgram_sim.requests.last
    assert sent.path == "/v1/listen" and sent.query == {"model": "nova-3", "smart_format": "true"}
    assert sent.raw_body == WAV


def test_verbose_json_words_and_text(deepgram_sim: RunningSimulator) -> None:
    verbose = llmrelay.transcription(
        "deepgram/nova-3", ("a.wav", WAV), response_format="verbose_json", smart_format=True,
        detect_language=True, **deepgram_sim.sdk_kwargs(),
    )  # fmt: skip
    assert (verbose.task, verbose.language, verbose.duration) == ("transcribe", "en", 12.4)
    assert verbose.words is not None and [w["word"] for w in verbose.words] == SAID.split()
    text = llmrelay.transcription("deepgram/nova-3", ("a.wav", WAV), response_format="text",
                                  **deepgram_sim.sdk_kwargs())  # fmt: skip
    assert text.text == SAID and served_of(text).cost_micros == NOVA_3_COST


def test_deepgrams_errors_keep_their_message(deepgram_sim: RunningSimulator) -> None:
    deepgram_sim.configure(api_keys={"dg-right-key"})
    with pytest.raises(AuthenticationError, match="Invalid credentials"):
        llmrelay.transcription(
            "deepgram/nova-3", ("a.wav", WAV), api_base=deepgram_sim.api_base, api_key="bad"
        )
    with pytest.raises(BadRequestError, match="No such model"):
        llmrelay.transcription("deepgram/nova-9", ("a.wav", WAV), **deepgram_sim.sdk_kwargs())
