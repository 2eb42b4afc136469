"""/v1/audio/transcriptions, /v1/audio/translations and /v1/images/edits behind a virtual key,
through the official openai client (whole gateway, OpenAI simulator): answered in the asked format,
gated by the key's models, limited by its rpm, billed (per second of audio, per image) in
/spend/logs and the key's spend; a malformed form or an oversized file is a 400 naming what is
wrong, before any upstream call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import openai
import pytest
from keys_helpers import GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.openai_audio import spoken_wav
from llmrelay.testing.openai_media import tiny_png

SAID = "a gateway hears every word"
FILE = ("words.wav", spoken_wav(SAID, 4.2))  # usage: 5 seconds, rounded up
PNG = tiny_png("a chair")


@pytest.fixture
def gateway(
    storage: Storage,
    database_url: str,
    openai_sim: RunningSimulator,
    simulators: SimulatorGroup,
    tmp_path: Path,
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool"),
        max_request_size_mb=30,
    )  # fmt: skip
    sim = openai_sim.sdk_kwargs()
    document["model_list"] += [
        {"model_name": "stt", "litellm_params": {"model": "openai/whisper-1", **sim}},
        {"model_name": "stt-4o", "litellm_params": {"model": "openai/gpt-4o-transcribe", **sim}},
        {"model_name": "edit", "litellm_params": {"model": "openai/dall-e-2", **sim}},
        {"model_name": "tts", "litellm_params": {"model": "openai/tts-1", **sim}},
        {
            "model_name": "nova",
            "litellm_params": {"model": "deepgram/nova-3", **simulators.deepgram.sdk_kwargs()},
        },
        {
            "model_name": "voice",
            "litellm_params": {
                "model": "elevenlabs/eleven_multilingual_v2",
                **simulators.elevenlabs.sdk_kwargs(),
            },
        },
    ]
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


def client(gateway: GatewayThread, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=key, max_retries=0)


async def spend_rows(gateway: GatewayThread) -> list[dict[str, object]]:
    runtime = next(s for s in gateway.app.state.services if isinstance(s, KeysRuntime))
    gateway.run(runtime.writer.flush())  # type: ignore[union-attr]
    rows: list[dict[str, object]] = await admin(gateway, "/spend/logs")
    return rows


async def test_a_keys_transcriptions_are_answered_gated_and_billed_per_second(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["stt"]}))["key"]
    async with client(gateway, key) as c:
        answer = await c.audio.transcriptions.create(model="stt", file=FILE)
        assert answer.text == SAID
        verbose = await c.audio.transcriptions.create(
            model="stt",
            file=FILE,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )
        assert verbose.duration == 4.2 and [w.word for w in verbose.words or []] == SAID.split()
        assert verbose.segments and verbose.segments[0].text.strip() == SAID
        raw = await c.audio.transcriptions.with_raw_response.create(
            model="stt", file=FILE, response_format="srt"
        )
        assert raw.headers["content-type"].startswith("application/x-subrip")
        assert raw.http_response.text.startswith("1\n00:00:00,000 --> 00:00:04,200\n" + SAID)
        text = await c.audio.translations.create(model="stt", file=FILE, response_format="text")
        assert text.strip() == SAID  # the client hands a text answer out as a str
        with pytest.raises(openai.AuthenticationError) as refused:
            await c.audio.transcriptions.create(model="stt-4o", file=FILE)
        assert refused.value.body["type"] == "key_model_access_denied"  # type: ignore[index]
    assert openai_sim.requests.count("/v1/audio/transcriptions") == 3
    assert openai_sim.requests.count("/v1/audio/translations") == 1
    rows = await spend_rows(gateway)
    audio = sorted((str(r["call_type"]), r["spend"]) for r in rows if r["model_group"] == "stt")
    # whisper-1: $0.0001 a second; 5 s reported by json and verbose_json, 4.2 s by the srt's last
    # cue and by the WAV's header (text)
    assert audio == [
        ("transcription", pytest.approx(4.2e-4)), ("transcription", pytest.approx(5e-4)),
        ("transcription", pytest.approx(5e-4)), ("translation", pytest.approx(4.2e-4)),
    ]  # fmt: skip
    info = await admin(gateway, f"/key/info?key={key}")
    assert info["info"]["spend"] == pytest.approx(2 * 5e-4 + 2 * 4.2e-4)


async def test_a_keys_rpm_limit_holds_for_transcriptions(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"rpm_limit": 2}))["key"]
    async with client(gateway, key) as c:
        await c.audio.transcriptions.create(model="stt", file=FILE)
        await c.audio.translations.create(model="stt", file=FILE)
        with pytest.raises(openai.RateLimitError) as limited:
            await c.audio.transcriptions.create(model="stt", file=FILE)
    assert "requests per minute limit 2" in limited.value.message
    assert len(openai_sim.requests) == 2


async def test_bad_forms_are_400s_naming_the_field_before_any_upstream_call(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    async with client(gateway, key) as c:
        with pytest.raises(openai.BadRequestError) as too_big:
            await c.audio.transcriptions.create(model="stt", file=("big.wav", b"\0" * (25 * 1024 * 1024 + 1)))
        assert too_big.value.body["param"] == "file"  # type: ignore[index]
        assert "25 MB" in too_big.value.message
        with pytest.raises(openai.BadRequestError) as streamed:
            await c.audio.transcriptions.create(model="stt-4o", file=FILE, stream=True)
        assert streamed.value.body["param"] == "stream"  # type: ignore[index]
        with pytest.raises(openai.BadRequestError) as hot:
            await c.audio.transcriptions.create(model="stt", file=FILE, temperature=3)
        assert hot.value.body["param"] == "temperature"  # type: ignore[index]
        with pytest.raises(openai.BadRequestError) as sse:
            await c.audio.speech.create(model="tts", input="hi", voice="alloy", stream_format="sse")
        assert sse.value.body["param"] == "stream_format"  # type: ignore[index]
    headers = {"authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(gateway.base_url) as http:
        for content_type, body in (
            (
                "multipart/form-data; boundary=xyz",
                b'--xyz\r\ncontent-disposition: form-data; name="model"\r\n',
            ),
            ("multipart/form-data", b"--xyz--\r\n"),
            ("application/json", b'{"model": "stt"}'),
        ):
            async with http.post("/v1/audio/transcriptions", data=body,
                                 headers={**headers, "content-type": content_type}) as reply:  # fmt: skip
                assert reply.status == 400, await reply.text()
                error = (await reply.json())["error"]
                assert error["type"] == "invalid_request_error" and "invalid request" in error["message"]
        # the form without its file
        form = aiohttp.FormData({"model": "stt"}, default_to_multipart=True)
        async with http.post("/v1/audio/transcriptions", data=form(), headers=headers) as reply:
            assert reply.status == 400 and (await reply.json())["error"]["param"] == "file"
    assert len(openai_sim.requests) == 0


async def test_a_keys_image_edits_are_billed_per_image(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["edit"]}))["key"]
    async with client(gateway, key) as c:
        edited = await c.images.edit(image=("chair.png", PNG), mask=("mask.png", PNG), prompt="paint it red",
                                     model="edit", n=2, size="512x512")  # fmt: skip
        assert len(edited.data) == 2 and all(d.url for d in edited.data)
        with pytest.raises(openai.BadRequestError) as bad:
            await c.images.edit(image=("chair.png", PNG), prompt="", model="edit")
        assert bad.value.body["param"] == "prompt"  # type: ignore[index]
    sent = openai_sim.requests.last
    assert sent.path == "/v1/images/edits" and sent.body["mask"]["filename"] == "mask.png"
    (row,) = [r for r in await spend_rows(gateway) if r["call_type"] == "image_edit"]
    assert row["model_group"] == "edit" and row["spend"] == pytest.approx(2 * 0.018)


async def test_a_deepgram_group_answers_the_openai_client_and_is_billed(
    gateway: GatewayThread, simulators: SimulatorGroup
) -> None:
    simulators.deepgram.reset()
    key = (await admin(gateway, "/key/generate", {"models": ["nova"]}))["key"]
    async with client(gateway, key) as c:
        answer = await c.audio.transcriptions.create(
            model="nova", file=FILE, extra_body={"smart_format": True}
        )
        assert answer.text == SAID
        with pytest.raises(openai.BadRequestError) as refused:
            await c.audio.translations.create(model="nova", file=FILE)
        assert "does not support audio translations" in refused.value.message
    assert simulators.deepgram.requests.last.query == {"model": "nova-3", "smart_format": "true"}
    (row,) = [r for r in await spend_rows(gateway) if r["model_group"] == "nova" and r["spend"]]
    # nova-3 at $0.0043 a minute, 4.2 s
    assert row["call_type"] == "transcription" and row["spend"] == round(4.2 * 71.67) / 1e6


async def test_an_elevenlabs_voice_answers_the_openai_client_and_is_billed_per_character(
    gateway: GatewayThread, simulators: SimulatorGroup
) -> None:
    simulators.elevenlabs.reset()
    key = (await admin(gateway, "/key/generate", {"models": ["voice"]}))["key"]
    async with client(gateway, key) as c:
        raw = await c.audio.speech.with_raw_response.create(
            model="voice", input="good evening", voice="Rachel"
        )
        assert raw.headers["content-type"] == "audio/mpeg" and raw.content.endswith(b"good evening")
        with pytest.raises(openai.BadRequestError) as refused:
            await c.audio.speech.create(model="voice", input="hi", voice="Rachel", response_format="flac")
        assert refused.value.body["param"] == "response_format"  # type: ignore[index]
    assert simulators.elevenlabs.requests.last.path == "/v1/text-to-speech/Rachel"
    (row,) = [r for r in await spend_rows(gateway) if r["model_group"] == "voice" and r["spend"]]
    # eleven_multilingual_v2: 80 micro-USD a character
    assert row["call_type"] == "speech" and row["spend"] == pytest.approx(12 * 80e-6)
