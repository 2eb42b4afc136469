"""POST /v1/images/variations, the call type added on the seam (docs/adr/0009-call-seam.md): the
adapter's form, which rows serve it, and the SDK's three faces (module function, Client, Router)
against the OpenAI simulator, priced per image at the asked size."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

import llmrelay
from llmrelay.calls.operation import IMAGE_VARIATION
from llmrelay.calls.served import served_of
from llmrelay.events.record import CallRecord
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.testing.openai_media import tiny_png
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError
from llmrelay.types.files import FileUpload
from llmrelay.types.http import HttpResponse
from llmrelay.types.image_variation import ImageVariationRequest

REGISTRY = ProviderRegistry()
PNG = tiny_png("a kite")
# dall-e-2's prices per image, in micro-USD
PER_IMAGE = {"256x256": 16_000, "512x512": 18_000, "1024x1024": 20_000}


def test_the_adapter_sends_a_form_and_reads_an_image_answer() -> None:
    deployment = Deployment(
        provider="openai", model="dall-e-2", api_key="sk-1", api_base="https://up.test/v1"
    )
    request = ImageVariationRequest(
        image=FileUpload(data=PNG, filename="kite.png", content_type="image/png"), model="group",
        n=2, size="256x256", extra_body={"style": "odd"},
    )  # fmt: skip
    codec = REGISTRY.get("openai").codec("image_variation", IMAGE_VARIATION.label)
    sent = codec.prepare(request, deployment)
    assert sent.url == "https://up.test/v1/images/variations"
    assert sent.headers["authorization"] == "Bearer sk-1"
    form = email.message_from_bytes(
        b"content-type: " + sent.headers["content-type"].encode() + b"\r\n\r\n" + sent.body,
        policy=email.policy.HTTP,
    )
    parts = {p.get_param("name", header="content-disposition"): p for p in form.iter_parts()}
    assert set(parts) == {"model", "n", "size", "style", "image"}  # None fields are left out
    assert parts["model"].get_content() == "dall-e-2"  # the deployment's model, not the group
    assert parts["image"].get_payload(decode=True) == PNG and parts["image"].get_filename() == "kite.png"
    answer = HttpResponse(
        status=200, body=b'{"created": 1, "data": [{"url": "https://x/1.png"}]}', headers={}
    )
    assert codec.parse(answer, request).data[0].url == "https://x/1.png"


def test_only_rows_that_speak_openais_whole_api_serve_it() -> None:
    assert "image_variation" in REGISTRY.get("openai").codecs
    assert "image_variation" in REGISTRY.get("openai_like").codecs
    for provider in ("azure", "groq", "anthropic", "gemini"):
        with pytest.raises(BadRequestError, match=f"provider '{provider}' does not support image variations"):
            REGISTRY.get(provider).codec("image_variation", IMAGE_VARIATION.label)


async def test_aimage_variation(openai_sim: RunningSimulator, tmp_path: Path) -> None:
    path = tmp_path / "kite.png"
    path.write_bytes(PNG)
    # a path, as the OpenAI SDK takes one; no model: a client asks for dall-e-2
    images = await llmrelay.aimage_variation(path, n=2, size="256x256", **openai_sim.sdk_kwargs())
    assert len(images.data) == 2 and all(d.url for d in images.data)
    served = served_of(images)
    assert (served.provider, served.cost_micros) == ("openai", 2 * PER_IMAGE["256x256"])
    sent = openai_sim.requests.last
    assert sent.path == "/v1/images/variations"
    assert sent.body["image"]["data"] == PNG and sent.body["image"]["filename"] == "kite.png"
    assert (sent.body["model"], sent.body["n"], sent.body["size"]) == ("dall-e-2", "2", "256x256")


def test_sync_image_variation_and_its_bad_input(openai_sim: RunningSimulator) -> None:
    images = llmrelay.image_variation(
        ("k.png", PNG), "openai/dall-e-2", response_format="b64_json", **openai_sim.sdk_kwargs()
    )
    assert images.data[0].b64_json and served_of(images).cost_micros == PER_IMAGE["1024x1024"]
    with pytest.raises(BadRequestError) as bad:
        llmrelay.image_variation(PNG, "openai/dall-e-2", n=11, **openai_sim.sdk_kwargs())
    assert bad.value.param == "n"
    # the provider's own refusal (not a PNG) comes back as a 400
    with pytest.raises(BadRequestError, match="format must be in"):
        llmrelay.image_variation(b"GIF89a", "openai/dall-e-2", **openai_sim.sdk_kwargs())
    assert openai_sim.requests.count("/v1/images/variations") == 2


async def test_router_aimage_variation_is_retried_and_recorded(openai_sim: RunningSimulator) -> None:
    records: list[CallRecord] = []

    class Sink:
        def on_success(self, record: CallRecord) -> None:
            records.append(record)

    group = [
        {"model_name": "vary", "litellm_params": {"model": "openai/dall-e-2", **openai_sim.sdk_kwargs()}}
    ]
    router = Router(model_list=group, callbacks=[Sink()])
    openai_sim.faults.fail_next(1, 500)
    try:
        images = await router.aimage_variation(PNG, model="vary", size="512x512", num_retries=1)
        served = served_of(images)
        assert (served.attempts, served.model_group, served.cost_micros) == (2, "vary", PER_IMAGE["512x512"])
        await router.aflush()
        (record,) = records
        assert (record.call_type, record.cost_micros) == ("image_variation", PER_IMAGE["512x512"])
    finally:
        await router.aclose()
