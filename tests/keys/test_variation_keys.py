"""/v1/images/variations behind a virtual key, through the official openai client: the key's models
gate it, each call's spend row carries its per-image price and shows in /spend/logs (whole gateway,
OpenAI simulator) — with no code of its own in the gate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from keys_helpers import GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator
from llmrelay.testing.openai_media import tiny_png

PNG = tiny_png("a heron")


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    document["model_list"] += [
        {"model_name": "vary", "litellm_params": {"model": "openai/dall-e-2", **openai_sim.sdk_kwargs()}},
        {"model_name": "vary-too", "litellm_params": {"model": "openai/dall-e-2", **openai_sim.sdk_kwargs()}},
    ]
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


async def test_a_keys_image_variation_is_gated_and_billed_per_image(
    gateway: GatewayThread, storage: Storage, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["vary"]}))["key"]
    image = tmp_path / "heron.png"
    image.write_bytes(PNG)
    async with openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=key, max_retries=0) as c:
        with image.open("rb") as file:
            answer = await c.images.create_variation(image=file, model="vary", n=2, size="256x256")
        assert len(answer.data) == 2 and answer.data[0].url
        with pytest.raises(openai.AuthenticationError) as refused:
            await c.images.create_variation(image=PNG, model="vary-too")
        assert refused.value.body["type"] == "key_model_access_denied"  # type: ignore[index]
        with pytest.raises(openai.BadRequestError) as bad:
            await c.images.create_variation(image=PNG, model="vary", n=20)
        assert bad.value.body["param"] == "n"  # type: ignore[index]
    assert openai_sim.requests.count("/v1/images/variations") == 1
    runtime = next(s for s in gateway.app.state.services if isinstance(s, KeysRuntime))
    gateway.run(runtime.writer.flush())  # type: ignore[union-attr]
    logs = await admin(gateway, "/spend/logs")
    (row,) = [log for log in logs if log["call_type"] == "image_variation"]
    assert row["model_group"] == "vary" and row["spend"] == pytest.approx(2 * 0.016)
    info = await admin(gateway, f"/key/info?key={key}")
    assert info["info"]["spend"] == pytest.approx(2 * 0.016)
