"""/v1/rerank, /v1/moderations and /v1/images/generations served by the whole gateway (build_app, Granian,
the real Router) against the Cohere and OpenAI simulators, called with the official openai SDK where it
has the method and with aiohttp for rerank; errors keep their status (400 naming the field, 401, 429)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import aiohttp
import openai
import pytest

from llmrelay.config.loader import parse_config
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread

MASTER_KEY = "sk-endpoints-master"
DOCS = [
    "penguins live in Antarctica",
    "camels live in deserts",
    {"title": "owls", "text": "owls hunt at night"},
]


@pytest.fixture
def gateway(cohere_sim: RunningSimulator, openai_sim: RunningSimulator) -> Iterator[GatewayThread]:
    openai, cohere = openai_sim.sdk_kwargs(), cohere_sim.sdk_kwargs()
    document: dict[str, Any] = {
        "model_list": [
            {"model_name": "rerank", "litellm_params": {"model": "cohere/rerank-v3.5", **cohere}},
            {"model_name": "moderation",
             "litellm_params": {"model": "openai/omni-moderation-latest", **openai}},
            {"model_name": "dall-e-3", "litellm_params": {"model": "openai/dall-e-3", **openai}},
            {"model_name": "azure-dalle",
             "litellm_params": {"model": "azure/dall-e-3", "api_base": openai_sim.base_url,
                                "api_key": openai_sim.api_key, "api_version": "2024-10-21"},
             "model_info": {"base_model": "dall-e-3"}},
        ],
        "general_settings": {"master_key": MASTER_KEY},
    }  # fmt: skip
    gw = GatewayThread(parse_config(document, source="<test>")).start()
    try:
        yield gw
    finally:
        gw.stop()


def client(gw: GatewayThread, key: str = MASTER_KEY) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=key, max_retries=0)


async def post(gw: GatewayThread, path: str, body: Any, key: str = MASTER_KEY) -> tuple[int, Any, Any]:
    async with aiohttp.ClientSession() as session:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        async with session.post(gw.base_url + path, json=body, headers=headers) as reply:
            return reply.status, await reply.json(), reply.headers


@pytest.mark.parametrize("path", ["/v1/rerank", "/rerank"])
async def test_rerank(gateway: GatewayThread, cohere_sim: RunningSimulator, path: str) -> None:
    body = {"model": "rerank", "query": "where do owls hunt", "documents": DOCS, "top_n": 2,
            "return_documents": True, "rank_fields": ["text"]}  # fmt: skip
    status, answer, headers = await post(gateway, path, body)
    assert status == 200, answer
    assert len(answer["results"]) == 2 and answer["results"][0]["index"] == 2
    assert answer["results"][0]["document"] == DOCS[2]
    assert answer["meta"]["billed_units"]["search_units"] == 1 and answer["id"]
    assert cohere_sim.requests.last.body["documents"][2] == "text: owls hunt at night"
    assert float(headers["x-llmrelay-cost"]) == pytest.approx(0.002)


async def test_moderations_with_the_openai_sdk(gateway: GatewayThread, openai_sim: RunningSimulator) -> None:
    async with client(gateway) as c:
        named = await c.moderations.create(model="moderation", input=["hello", "a contraband deal"])
        # no model: the first moderation group answers
        default = await c.moderations.create(
            input=[{"type": "text", "text": "an attack"},
                   {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}],
        )  # fmt: skip
    assert [r.flagged for r in named.results] == [False, True] and named.results[1].categories.illicit
    assert named.model == "omni-moderation-2024-09-26"
    (result,) = default.results
    assert result.flagged and result.categories.violence
    assert result.category_applied_input_types.violence == ["text", "image"]
    assert openai_sim.requests.last.body["model"] == "omni-moderation-latest"


async def test_images_with_the_openai_sdk(gateway: GatewayThread, openai_sim: RunningSimulator) -> None:
    async with client(gateway) as c:
        url = await c.images.generate(model="dall-e-3", prompt="a red kite", size="1024x1792", quality="hd")
        b64 = await c.images.with_raw_response.generate(
            model="azure-dalle", prompt="a red kite", response_format="b64_json"
        )
    assert url.data and url.data[0].url and url.data[0].revised_prompt
    image = b64.parse()
    assert image.data and base64.b64decode(image.data[0].b64_json or "").startswith(b"\x89PNG")
    assert openai_sim.requests.last.path == "/openai/deployments/dall-e-3/images/generations"
    # the Azure deployment is priced as its base model at Azure's per-pixel price (standard 1024x1024)
    assert float(b64.headers["x-llmrelay-cost"]) == pytest.approx(round(4.19617e-08 * 1024 * 1024, 6))


async def test_errors_keep_their_status(gateway: GatewayThread, cohere_sim: RunningSimulator) -> None:
    status, answer, _ = await post(gateway, "/v1/rerank", {"model": "rerank", "documents": ["a"]})
    assert status == 400 and answer["error"]["param"] == "query"
    status, answer, _ = await post(
        gateway, "/v1/rerank", {"model": "rerank", "query": "q", "documents": ["a"]}, key=""
    )
    assert status == 401
    async with client(gateway) as c:
        with pytest.raises(openai.BadRequestError) as bad:
            await c.images.generate(model="dall-e-3", prompt="x", size="5x5")
        assert bad.value.body["param"] == "size"  # type: ignore[index]
        with pytest.raises(openai.AuthenticationError):
            await client(gateway, "sk-wrong").moderations.create(input="hi")
    cohere_sim.faults.set(status=429, retry_after=9)
    status, answer, headers = await post(
        gateway, "/v1/rerank", {"model": "rerank", "query": "q", "documents": ["a"]}
    )
    assert status == 429 and headers["retry-after"] == "9"
