"""ElevenLabs (`elevenlabs/<model>`): text to speech and speech to text — the adapter's requests and
what it refuses, its answers read into OpenAI's shapes, and the SDK against the ElevenLabs simulator
(per character for speech, per second for transcripts)."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator

import pytest

import llmrelay
from llmrelay.calls.operation import SPEECH, TRANSCRIPTION, TRANSLATION
from llmrelay.calls.served import served_of
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.openai_audio import spoken_wav
from llmrelay.types.audio import TranscriptionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError, BadRequestError, InternalServerError
from llmrelay.types.files import FileUpload
from llmrelay.types.http import HttpResponse
from llmrelay.types.speech import SpeechRequest

REGISTRY = ProviderRegistry()
SAID = "ElevenLabs transcribes these seven words"
WAV = spoken_wav(SAID, 6.0)
TTS = Deployment(provider="elevenlabs", model="eleven_multilingual_v2", api_key="xi-1")
STT = Deployment(provider="elevenlabs", model="scribe_v1", api_key="xi-1")


@pytest.fixture
def elevenlabs_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    sim = simulators.elevenlabs
    sim.reset()
    yield sim
    sim.reset()


def test_the_speech_request() -> None:
    request = SpeechRequest(
        model="g", input="hello", voice="21m00Tcm4TlvDq8ikWAM", response_format="pcm", speed=1.1,
        extra_body={"voice_settings": {"stability": 0.5}, "seed": 7},
    )  # fmt: skip
    sent = REGISTRY.get("elevenlabs").codec("speech", SPEECH.label).prepare(request, TTS)
    assert (
        sent.url == "https://api.elevenlabs.io/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM?output_format=pcm_24000"
    )
    assert sent.headers["xi-api-key"] == "xi-1" and "authorization" not in sent.headers
    assert json.loads(sent.body) == {
        "text": "hello", "model_id": "eleven_multilingual_v2", "seed": 7,
        "voice_settings": {"stability": 0.5, "speed": 1.1},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "param"),
    [({"response_format": "flac"}, "response_format"), ({"instructions": "whisper"}, "instructions"),
     ({"voice": ".."}, "voice")],
)  # fmt: skip
def test_what_elevenlabs_speech_cannot_do_is_refused(fields: dict[str, str], param: str) -> None:
    request = SpeechRequest(**{"model": "g", "input": "hi", "voice": "v", **fields})  # type: ignore[arg-type]
    with pytest.raises(BadRequestError) as refused:
        REGISTRY.get("elevenlabs").codec("speech", SPEECH.label).prepare(request, TTS)
    assert refused.value.param == param


def test_a_voice_never_leaves_its_path_segment() -> None:
    request = SpeechRequest(model="g", input="hi", voice="../../admin?x=1")
    sent = REGISTRY.get("elevenlabs").codec("speech", SPEECH.label).prepare(request, TTS)
    assert sent.url.startswith(
        "https://api.elevenlabs.io/v1/text-to-speech/..%2F..%2Fadmin%3Fx%3D1?output_format="
    )


def test_the_transcription_form_and_its_refusals() -> None:
    request = TranscriptionRequest(
        file=FileUpload(data=WAV, filename="a.wav"), model="g", language="en",
        timestamp_granularities=["word"], extra_body={"diarize": True},
    )  # fmt: skip
    sent = REGISTRY.get("elevenlabs").codec("transcription", TRANSCRIPTION.label).prepare(request, STT)
    assert sent.url == "https://api.elevenlabs.io/v1/speech-to-text"
    form = email.message_from_bytes(
        b"content-type: " + sent.headers["content-type"].encode() + b"\r\n\r\n" + sent.body,
        policy=email.policy.HTTP,
    )
    parts = {p.get_param("name", header="content-disposition"): p for p in form.iter_parts()}
    assert set(parts) == {"model_id", "language_code", "timestamps_granularity", "diarize", "file"}
    assert parts["model_id"].get_content() == "scribe_v1" and parts["diarize"].get_content() == "true"
    for fields, param in (({"prompt": "x"}, "prompt"), ({"response_format": "vtt"}, "response_format"),
                          ({"timestamp_granularities": ["segment"]}, "timestamp_granularities")):  # fmt: skip
        bad = TranscriptionRequest(file=FileUpload(data=WAV), model="g", **fields)  # type: ignore[arg-type]
        with pytest.raises(BadRequestError) as refused:
            REGISTRY.get("elevenlabs").codec("transcription", TRANSCRIPTION.label).prepare(bad, STT)
        assert refused.value.param == param
    with pytest.raises(BadRequestError, match="does not support audio translations"):
        REGISTRY.get("elevenlabs").codec("translation", TRANSLATION.label)
    with pytest.raises(InternalServerError, match="malformed response"):
        REGISTRY.get("elevenlabs").codec("transcription", TRANSCRIPTION.label).parse(
            HttpResponse(status=200, body=b'{"words": []}'), request
        )


async def test_speech_against_the_simulator_is_priced_per_character(elevenlabs_sim: RunningSimulator) -> None:
    audio = await llmrelay.aspeech("elevenlabs/eleven_multilingual_v2", "hello there", "Rachel",
                                   **elevenlabs_sim.sdk_kwargs())  # fmt: skip
    assert audio.content_type == "audio/mpeg" and audio.content.endswith(b"hello there")
    # eleven_multilingual_v2: 80 micro-USD a character in the catalog
    assert served_of(audio).cost_micros == 80 * len("hello there")
    sent = elevenlabs_sim.requests.last
    assert sent.path == "/v1/text-to-speech/Rachel" and sent.query == {"output_format": "mp3_44100_128"}
    pcm = llmrelay.speech("elevenlabs/eleven_flash_v2_5", "hi", "Rachel", response_format="pcm",
                          **elevenlabs_sim.sdk_kwargs())  # fmt: skip
    assert (pcm.content_type, pcm.content) == ("audio/pcm", b"hi")


def test_transcription_against_the_simulator_is_priced_per_second(elevenlabs_sim: RunningSimulator) -> None:
    answer = llmrelay.transcription(
        "elevenlabs/scribe_v1", ("a.wav", WAV), response_format="verbose_json",
        timestamp_granularities=["word"], **elevenlabs_sim.sdk_kwargs(),
    )  # fmt: skip
    assert answer.text == SAID and answer.duration == 6.0
    assert answer.words is not None and [w["word"] for w in answer.words] == SAID.split()
    # scribe_v1: 61.1 micro-USD a second, on the end of the last word (6 s)
    assert served_of(answer).cost_micros == round(61.1 * 6)
    assert elevenlabs_sim.requests.last.body["timestamps_granularity"] == "word"


def test_elevenlabs_errors_keep_their_message(elevenlabs_sim: RunningSimulator) -> None:
    elevenlabs_sim.configure(api_keys={"xi-right"})
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        llmrelay.speech(
            "elevenlabs/eleven_v3", "hi", "Rachel", api_base=elevenlabs_sim.api_base, api_key="xi-wrong"
        )
    with pytest.raises(BadRequestError, match=r"between 0\.7 and 1\.2"):
        llmrelay.speech("elevenlabs/eleven_v3", "hi", "Rachel", speed=2.0, api_base=elevenlabs_sim.api_base,
                        api_key="xi-right")  # fmt: skip
