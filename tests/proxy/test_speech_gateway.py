"""/v1/audio/speech served by the whole gateway (build_app, Granian, the real Router) against the
OpenAI simulator, called with the official openai SDK: the audio's bytes with their content type, the
per-character price in x-llmrelay-cost, and 400s naming the field for a bad body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import openai
import pytest

from llmrelay.config.loader import parse_config
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread

MASTER_KEY = "sk-speech-master"
TEXT = "The quick brown fox jumps over the lazy dog."  # 44 characters


@pytest.fixture
def gateway(openai_sim: RunningSimulator) -> Iterator[GatewayThread]:
    upstream = openai_sim.sdk_kwargs()
    document: dict[str, Any] = {
        "model_list": [
            {"model_name": "tts", "litellm_params": {"model": "openai/tts-1", **upstream}},
            {"model_name": "tts-hd", "litellm_params": {"model": "openai/tts-1-hd", **upstream}},
            {"model_name": "mini-tts", "litellm_params": {"model": "openai/gpt-4o-mini-tts", **upstream}},
        ],
        "general_settings": {"master_key": MASTER_KEY},
    }
    gw = GatewayThread(parse_config(document, source="<test>")).start()
    try:
        yield gw
    finally:
        gw.stop()


def client(gw: GatewayThread) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=MASTER_KEY, max_retries=0)


async def test_speech_with_the_openai_sdk(gateway: GatewayThread, openai_sim: RunningSimulator) -> None:
    async with client(gateway) as c:
        mp3 = await c.audio.speech.with_raw_response.create(model="tts", input=TEXT, voice="alloy")
        wav = await c.audio.speech.with_raw_response.create(
            model="tts-hd", input=TEXT, voice="nova", response_format="wav", speed=1.5
        )
    assert mp3.http_response.headers["content-type"] == "audio/mpeg"
    assert mp3.content == b"ID3\x04\x00\x00" + TEXT.encode()
    # tts-1: $15 per million characters
    assert float(mp3.headers["x-llmrelay-cost"]) == pytest.approx(44 * 15e-6)
    assert mp3.headers["x-llmrelay-model-group"] == "tts"
    assert wav.http_response.headers["content-type"] == "audio/wav"
    assert wav.content.startswith(b"RIFF") and wav.content.endswith(TEXT.encode())
    assert float(wav.headers["x-llmrelay-cost"]) == pytest.approx(44 * 30e-6)  # tts-1-hd: $30
    sent = openai_sim.requests.last
    assert sent.path == "/v1/audio/speech"
    assert sent.body == {"model": "tts-1-hd", "input": TEXT, "voice": "nova", "response_format": "wav",
                         "speed": 1.5}  # fmt: skip


async def test_a_token_priced_model_and_instructions(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    async with client(gateway) as c:
        opus = await c.audio.speech.with_raw_response.create(
            model="mini-tts", input=TEXT, voice="coral", response_format="opus", instructions="whisper"
        )
    assert opus.http_response.headers["content-type"] == "audio/opus"
    assert openai_sim.requests.last.body["instructions"] == "whisper"
    # gpt-4o-mini-tts has no per-character price: its input tokens at its input price
    assert float(opus.headers["x-llmrelay-cost"]) > 0


async def post(gw: GatewayThread, body: Any) -> tuple[int, str, bytes]:
    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    url = gw.base_url + "/v1/audio/speech"
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as reply:
        return reply.status, reply.content_type, await reply.read()


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"input": "x" * 4097}, "input"),
        ({"speed": 4.5}, "speed"),
        ({"speed": 0.1}, "speed"),
        ({"response_format": "ogg"}, "response_format"),
        ({"voice": None}, "voice"),
        ({"voice": "v" * 256}, "voice"),
        ({"voice": "a\u0000b"}, "voice"),
        ({"instructions": "x" * 4097}, "instructions"),
        ({"input": None}, "input"),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field(
    gateway: GatewayThread, openai_sim: RunningSimulator, change: dict[str, Any], param: str
) -> None:
    body = {"model": "tts", "input": TEXT, "voice": "alloy", **change}
    body = {k: v for k, v in body.items() if v is not None}
    status, _, answer = await post(gateway, body)
    assert status == 400, answer
    assert json.loads(answer)["error"]["param"] == param
    assert openai_sim.requests.count("/v1/audio/speech") == 0  # refused before any upstream call


async def test_the_longest_input_passes(gateway: GatewayThread) -> None:
    status, content_type, audio = await post(
        gateway, {"model": "tts", "input": "y" * 4096, "voice": "alloy", "response_format": "pcm"}
    )
    assert (status, content_type, audio) == (200, "audio/pcm", b"y" * 4096)
