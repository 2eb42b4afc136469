"""/v1/audio/speech behind a virtual key: the key's models gate it and each call's spend row carries
its per-character price (whole gateway, OpenAI simulator) — with no speech-specific code in the gate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter
from llmrelay.testing import RunningSimulator

TEXT = "Hello from the gate."  # 20 characters


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    document["model_list"] += [
        {"model_name": "tts", "litellm_params": {"model": "openai/tts-1", **openai_sim.sdk_kwargs()}},
        {"model_name": "tts-hd", "litellm_params": {"model": "openai/tts-1-hd", **openai_sim.sdk_kwargs()}},
    ]
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


async def test_a_keys_speech_is_gated_and_billed_per_character(
    gateway: GatewayThread, storage: Storage, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["tts"]}))["key"]
    async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=key, max_retries=0) as c:
        audio = await c.audio.speech.create(model="tts", input=TEXT, voice="alloy")
        assert audio.content.endswith(TEXT.encode())
        with pytest.raises(openai.AuthenticationError) as refused:
            await c.audio.speech.create(model="tts-hd", input=TEXT, voice="alloy")
        assert refused.value.body["type"] == "key_model_access_denied"  # type: ignore[index]
    assert openai_sim.requests.count("/v1/audio/speech") == 1
    async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=MASTER_KEY, max_retries=0) as c:
        await c.audio.speech.create(model="tts-hd", input=TEXT, voice="alloy")
    runtime = next(s for s in gateway.app.state.services if isinstance(s, KeysRuntime))
    gateway.run(runtime.writer.flush())  # type: ignore[union-attr]
    logs = {log.model_group: log for log in await storage.spend.logs(SpendLogFilter())}
    assert set(logs) == {"tts", "tts-hd"}
    assert logs["tts"].call_type == "speech" and logs["tts"].key_hash
    assert logs["tts"].cost_micros == 20 * 15  # tts-1: 15 micro-USD a character
    assert logs["tts-hd"].cost_micros == 20 * 30
    info = await admin(gateway, f"/key/info?key={key}")
    assert info["info"]["spend"] == pytest.approx(20 * 15e-6)
