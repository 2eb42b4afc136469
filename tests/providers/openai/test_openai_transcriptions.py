"""POST /v1/audio/transcriptions and /v1/audio/translations on the seam: the adapter's form (read
back by the standard library's MIME parser), the answer in each format, which rows serve them
(OpenAI, Azure, Groq), the price per second of audio (or per token), and the SDK's three faces
against the OpenAI simulator."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

import llmrelay
from llmrelay.calls.operation import TRANSCRIPTION, TRANSLATION
from llmrelay.calls.served import served_of
from llmrelay.events.record import CallRecord
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.testing.openai_audio import spoken_wav
from llmrelay.types.audio import MAX_AUDIO_BYTES, TranscriptionRequest, TranscriptionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, InternalServerError
from llmrelay.types.files import FileUpload
from llmrelay.types.http import HttpRequest, HttpResponse

REGISTRY = ProviderRegistry()
SAID = "the quick brown fox jumps over the lazy dog and runs far away"
WAV = spoken_wav(SAID, 12.4)
FILE = ("fox.wav", WAV)  # OpenAI tells the format by the file name
# whisper-1: $0.006 a minute, 100 micro-USD a second
WHISPER_PER_SECOND = 100


def form_of(sent: HttpRequest) -> dict[str, list[email.message.Message]]:
    form = email.message_from_bytes(
        b"content-type: " + sent.headers["content-type"].encode() + b"\r\n\r\n" + sent.body,
        policy=email.policy.HTTP,
    )
    parts: dict[str, list[email.message.Message]] = {}
    for part in form.iter_parts():
        parts.setdefault(part.get_param("name", header="content-disposition"), []).append(part)  # type: ignore[arg-type]
    return parts


def test_the_adapter_sends_a_form_with_arrays_as_openai_spells_them() -> None:
    deployment = Deployment(
        provider="openai", model="whisper-1", api_key="sk-1", api_base="https://up.test/v1"
    )
    request = TranscriptionRequest(
        file=FileUpload(data=WAV, filename="fox.wav", content_type="audio/wav"), model="group",
        language="en", response_format="verbose_json", temperature=0.2,
        timestamp_granularities=["word", "segment"], extra_body={"include[]": "logprobs"},
    )  # fmt: skip
    sent = REGISTRY.get("openai").codec("transcription", TRANSCRIPTION.label).prepare(request, deployment)
    assert sent.url == "https://up.test/v1/audio/transcriptions"
    assert sent.headers["authorization"] == "Bearer sk-1"
    parts = form_of(sent)
    assert set(parts) == {"model", "language", "response_format", "temperature",
                          "timestamp_granularities[]", "include[]", "file"}  # fmt: skip
    assert parts["model"][0].get_content() == "whisper-1"  # the deployment's model, not the group
    assert [p.get_content() for p in parts["timestamp_granularities[]"]] == ["word", "segment"]
    assert parts["file"][0].get_payload(decode=True) == WAV and parts["file"][0].get_filename() == "fox.wav"


def test_azure_and_groq_urls() -> None:
    request = TranscriptionRequest(file=FileUpload(data=WAV, filename="a.wav"), model="g")
    azure = Deployment(
        provider="azure", model="my-whisper", api_key="az-1", api_base="https://r.openai.azure.com"
    )
    sent = REGISTRY.get("azure").codec("transcription", TRANSCRIPTION.label).prepare(request, azure)
    assert sent.url == (
        "https://r.openai.azure.com/openai/deployments/my-whisper/audio/transcriptions?api-version=2024-10-21"
    )
    assert sent.headers["api-key"] == "az-1" and sent.headers["content-type"].startswith(
        "multipart/form-data"
    )
    groq = Deployment(provider="groq", model="whisper-large-v3", api_key="gsk-1")
    sent = REGISTRY.get("groq").codec("translation", TRANSLATION.label).prepare(request, groq)
    assert sent.url == "https://api.groq.com/openai/v1/audio/translations"


def test_which_rows_serve_speech_to_text() -> None:
    for provider in ("openai", "openai_like", "azure", "groq"):
        assert {"transcription", "translation"} <= set(REGISTRY.get(provider).codecs), provider
    for provider in ("anthropic", "together_ai", "mistral"):
        with pytest.raises(
            BadRequestError, match=f"provider '{provider}' does not support audio transcriptions"
        ):
            REGISTRY.get(provider).codec("transcription", TRANSCRIPTION.label)


@pytest.mark.parametrize("fmt", ["text", "srt", "vtt"])
def test_text_formats_are_kept_as_they_came(fmt: str) -> None:
    codec = REGISTRY.get("openai").codec("transcription", TRANSCRIPTION.label)
    request = TranscriptionRequest(file=FileUpload(data=b"x"), model="m", response_format=fmt)  # type: ignore[arg-type]
    body = "1\n00:00:00,000 --> 00:00:02,000\nhé\n\n"
    assert codec.parse(HttpResponse(status=200, body=body.encode()), request).text == body
    with pytest.raises(InternalServerError, match="not UTF-8"):
        codec.parse(HttpResponse(status=200, body=b"\xff\xfe"), request)


def test_a_json_answer_that_is_not_a_transcript_is_a_provider_error() -> None:
    codec = REGISTRY.get("openai").codec("transcription", TRANSCRIPTION.label)
    request = TranscriptionRequest(file=FileUpload(data=b"x"), model="m")
    with pytest.raises(InternalServerError, match="malformed response"):
        codec.parse(HttpResponse(status=200, body=b'{"txt": 1}'), request)


def test_bad_requests_name_their_field() -> None:
    upload = FileUpload(data=WAV, filename="a.wav")
    too_big = FileUpload(data=b"\0" * (MAX_AUDIO_BYTES + 1), filename="a.wav")
    for fields, param in (({"file": too_big}, "file"), ({"file": upload, "stream": True}, "stream"),
                          ({"file": upload, "temperature": 1.5}, "temperature"),
                          ({"file": upload, "response_format": "mp3"}, "response_format"),
                          ({"file": upload, "timestamp_granularities": ["char"]},
                           "timestamp_granularities[0]"),
                          ({"file": upload, "language": "en us"}, "language")):  # fmt: skip
        with pytest.raises(BadRequestError) as bad:
            llmrelay.transcription("openai/whisper-1", **fields, api_key="sk-never-sent")
        assert bad.value.param == param


async def test_atranscription_json_is_priced_per_second(openai_sim: RunningSimulator, tmp_path: Path) -> None:
    path = tmp_path / "fox.wav"
    path.write_bytes(WAV)
    # no model: a Client asks for whisper-1
    answer = await llmrelay.atranscription(None, path, **openai_sim.sdk_kwargs())
    assert isinstance(answer, TranscriptionResponse) and answer.text == SAID
    assert answer.usage is not None and (answer.usage.type, answer.usage.seconds) == ("duration", 13)
    served = served_of(answer)
    assert (served.provider, served.cost_micros) == ("openai", 13 * WHISPER_PER_SECOND)
    sent = openai_sim.requests.last
    assert sent.path == "/v1/audio/transcriptions" and sent.body["model"] == "whisper-1"
    assert sent.body["file"]["filename"] == "fox.wav" and sent.body["file"]["data"] == WAV


def test_verbose_json_with_word_timestamps(openai_sim: RunningSimulator) -> None:
    answer = llmrelay.transcription(
        "openai/whisper-1", ("fox.wav", WAV), response_format="verbose_json",
        timestamp_granularities=["word"], **openai_sim.sdk_kwargs(),
    )  # fmt: skip
    assert (answer.task, answer.duration, answer.text) == ("transcribe", 12.4, SAID)
    assert answer.words is not None and [w["word"] for w in answer.words] == SAID.split()
    assert answer.segments is None  # only the granularity asked for
    assert served_of(answer).cost_micros == 13 * WHISPER_PER_SECOND  # the usage's seconds win
    assert openai_sim.requests.last.body["timestamp_granularities[]"] == ["word"]


@pytest.mark.parametrize(
    ("fmt", "starts", "cost"),
    [
        # no usage in a text answer: a WAV upload's header says 12.4 s
        ("text", SAID, round(12.4 * WHISPER_PER_SECOND)),
        # the last cue's end (the speech's end: the simulator's cues end with the audio)
        ("srt", "1\n00:00:00,000 --> 00:00:06,200\n", round(12.4 * WHISPER_PER_SECOND)),
        ("vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:06.200\n", round(12.4 * WHISPER_PER_SECOND)),
    ],
)
def test_text_formats_are_priced_from_the_cues_or_the_wav(
    openai_sim: RunningSimulator, fmt: str, starts: str, cost: int
) -> None:
    answer = llmrelay.transcription("openai/whisper-1", FILE, response_format=fmt, **openai_sim.sdk_kwargs())
    assert answer.text.startswith(starts)
    assert served_of(answer).cost_micros == cost


def test_a_text_answer_of_audio_of_unknown_length_is_not_priced(openai_sim: RunningSimulator) -> None:
    mp3 = b"ID3\x04\x00" + bytes(range(256)) * 64
    answer = llmrelay.transcription(
        "openai/whisper-1", ("a.mp3", mp3), response_format="text", **openai_sim.sdk_kwargs()
    )
    assert answer.text.startswith("A sound numbered")
    assert served_of(answer).cost_micros == 0


def test_gpt_4o_transcribe_is_priced_by_its_tokens(openai_sim: RunningSimulator) -> None:
    answer = llmrelay.transcription("openai/gpt-4o-transcribe", FILE, **openai_sim.sdk_kwargs())
    usage = answer.usage
    assert usage is not None and usage.type == "tokens" and usage.input_tokens == 124
    assert usage.output_tokens == len(SAID.split())
    # $2.50 a million input tokens, $10 a million output tokens (the catalog's token prices)
    expected = round((124 * 2.5 + usage.output_tokens * 10) / 1e6 * 1e6)
    assert served_of(answer).cost_micros == expected


def test_the_providers_refusal_is_a_400(openai_sim: RunningSimulator) -> None:
    with pytest.raises(BadRequestError, match="Invalid file format"):
        llmrelay.transcription("openai/whisper-1", ("notes.txt", b"hello"), **openai_sim.sdk_kwargs())
    with pytest.raises(BadRequestError, match="not compatible"):
        llmrelay.transcription(
            "openai/gpt-4o-transcribe", FILE, response_format="srt", **openai_sim.sdk_kwargs()
        )


async def test_translation_and_azure_and_groq(openai_sim: RunningSimulator) -> None:
    answer = await llmrelay.atranslation("openai/whisper-1", FILE, response_format="verbose_json",
                                         **openai_sim.sdk_kwargs())  # fmt: skip
    assert (answer.task, answer.text) == ("translate", SAID)
    assert openai_sim.requests.last.path == "/v1/audio/translations"
    azure = await llmrelay.atranscription(
        "azure/whisper-1", FILE, api_base=openai_sim.base_url, api_key=openai_sim.api_key
    )
    assert azure.text == SAID and served_of(azure).cost_micros == 13 * WHISPER_PER_SECOND
    assert openai_sim.requests.last.path == "/openai/deployments/whisper-1/audio/transcriptions"
    # Groq's row speaks OpenAI's forms; its price: $0.111 an hour of whisper-large-v3
    groq = await llmrelay.atranscription("groq/whisper-large-v3", FILE, **openai_sim.sdk_kwargs())
    assert groq.text == SAID and served_of(groq).cost_micros == 401  # 13 s at 30.83 micro-USD
    assert openai_sim.requests.last.body["model"] == "whisper-large-v3"


async def test_router_atranscription_is_retried_and_recorded(openai_sim: RunningSimulator) -> None:
    records: list[CallRecord] = []

    class Sink:
        def on_success(self, record: CallRecord) -> None:
            records.append(record)

    group = [
        {"model_name": "stt", "litellm_params": {"model": "openai/whisper-1", **openai_sim.sdk_kwargs()}}
    ]
    router = Router(model_list=group, callbacks=[Sink()])
    openai_sim.faults.fail_next(1, 500)
    try:
        answer = await router.atranscription("stt", FILE, num_retries=1)
        served = served_of(answer)
        assert (served.attempts, served.model_group, served.cost_micros) == (
            2,
            "stt",
            13 * WHISPER_PER_SECOND,
        )
        said = router.translation("stt", FILE)
        assert said.text == SAID
        await router.aflush()
        assert [(r.call_type, r.cost_micros) for r in records] == [
            ("transcription", 13 * WHISPER_PER_SECOND), ("translation", 13 * WHISPER_PER_SECOND),
        ]  # fmt: skip
    finally:
        await router.aclose()
