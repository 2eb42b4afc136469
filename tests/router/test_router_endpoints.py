"""Rerank, moderations and image generation through the Router, against the simulators: retries,
fallbacks, the call records callbacks get, and the default group of a call that names no model."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmrelay.events.record import CallRecord
from llmrelay.router import Router
from llmrelay.testing import SimulatorGroup, start_simulators
from llmrelay.types.errors import BadRequestError
from llmrelay.types.response import hidden_params

DOCS = ["penguins live in Antarctica", "camels live in deserts", "owls hunt at night"]


@pytest.fixture
async def sims() -> AsyncIterator[SimulatorGroup]:
    async with start_simulators(["openai", "cohere"]) as group:
        yield group


class Records:
    def __init__(self) -> None:
        self.success: list[CallRecord] = []
        self.failure: list[CallRecord] = []

    def on_success(self, record: CallRecord) -> Any:
        self.success.append(record)

    def on_failure(self, record: CallRecord) -> Any:
        self.failure.append(record)


def model_list(sims: SimulatorGroup) -> list[dict[str, Any]]:
    cohere, openai = sims["cohere"].sdk_kwargs(), sims.openai.sdk_kwargs()
    return [
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", **openai}},
        {"model_name": "rerank", "litellm_params": {"model": "cohere/rerank-v3.5", **cohere},
         "model_info": {"id": "rerank-1"}},
        {"model_name": "rerank-broken",
         "litellm_params": {"model": "cohere/rerank-v3.5", **cohere, "api_key": "wrong"}},
        {"model_name": "mod", "litellm_params": {"model": "openai/omni-moderation-latest", **openai}},
        {"model_name": "dalle", "litellm_params": {"model": "openai/dall-e-3", **openai}},
        {"model_name": "gpt-image", "litellm_params": {"model": "openai/gpt-image-1", **openai}},
    ]  # fmt: skip


async def test_rerank_is_retried_and_recorded(sims: SimulatorGroup) -> None:
    records = Records()
    router = Router(model_list=model_list(sims), callbacks=[records])
    sims["cohere"].faults.fail_next(1, 500)
    try:
        resp = await router.arerank(
            model="rerank", query="where do penguins live", documents=DOCS, num_retries=1
        )
        params = hidden_params(resp)
        assert resp.results[0].index == 0
        assert (
            params["attempts"] == 2
            and params["model_group"] == "rerank"
            and params["deployment_id"] == "rerank-1"
        )
        assert params["cost_micros"] == 2000
        await router.aflush()
        (record,) = records.success
        assert record.call_type == "rerank" and record.cost_micros == 2000 and record.model_group == "rerank"
    finally:
        await router.aclose()


async def test_rerank_falls_back_to_another_group(sims: SimulatorGroup) -> None:
    sims["cohere"].configure(api_keys={sims["cohere"].api_key})  # "wrong" is refused: a 401
    router = Router(model_list=model_list(sims), fallbacks=[{"rerank-broken": ["rerank"]}])
    try:
        resp = await router.arerank(model="rerank-broken", query="owls", documents=DOCS)
        assert hidden_params(resp)["fallback_from"] == "rerank-broken"
        assert hidden_params(resp)["model_group"] == "rerank"
    finally:
        await router.aclose()


async def test_moderation_without_model_goes_to_the_first_moderation_group(sims: SimulatorGroup) -> None:
    router = Router(model_list=model_list(sims))
    try:
        assert router.default_model("moderation") == "mod"
        resp = await router.amoderation(input=["a kind word", "I will attack you"])
        assert [r.flagged for r in resp.results] == [False, True]
        assert resp.results[1].categories["violence"] is True
        assert sims.openai.requests.last.body == {"input": ["a kind word", "I will attack you"],
                                                  "model": "omni-moderation-latest"}  # fmt: skip
        assert hidden_params(resp)["model_group"] == "mod" and hidden_params(resp)["cost_micros"] == 0
    finally:
        await router.aclose()


async def test_a_call_naming_no_model_with_no_group_to_serve_it_is_a_400(sims: SimulatorGroup) -> None:
    router = Router(model_list=model_list(sims)[:1])
    try:
        with pytest.raises(BadRequestError) as info:
            await router.amoderation(input="hi")
        assert info.value.param == "model"
    finally:
        await router.aclose()


async def test_images_are_priced_per_image_by_size_and_quality(sims: SimulatorGroup) -> None:
    router = Router(model_list=model_list(sims))
    try:
        hd = await router.aimage_generation(
            prompt="a lighthouse", model="dalle", size="1792x1024", quality="hd"
        )
        assert hd.data[0].url and hd.data[0].revised_prompt
        assert hidden_params(hd)["cost_micros"] == 120_000  # $0.12: HD 1792x1024
        image = await router.aimage_generation(prompt="a lighthouse", model="gpt-image", n=2, quality="low")
        assert len(image.data) == 2 and image.usage is not None and image.usage.output_tokens == 544
        png = base64.b64decode(image.data[0].b64_json or "")
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert hidden_params(image)["cost_micros"] == 22_000  # 2 x $0.011: low 1024x1024
        # without model: the first image-generation group
        default = await router.aimage_generation(prompt="a fox")
        assert hidden_params(default)["model_group"] == "dalle"
    finally:
        await router.aclose()


async def test_health_checks_ping_rerank_and_moderation_and_never_make_images(sims: SimulatorGroup) -> None:
    router = Router(model_list=model_list(sims))
    try:
        results = await router.arun_health_checks()
        assert sims["cohere"].requests.count("/v2/rerank") == 2  # both rerank groups, with their own keys
        assert sims.openai.requests.count("/v1/moderations") == 1
        assert sims.openai.requests.count("/v1/images/generations") == 0
        assert all(error is None for error in results.values()), results
    finally:
        await router.aclose()
