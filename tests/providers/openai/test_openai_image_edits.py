"""POST /v1/images/edits on the seam: the adapter's form (one image, or several as `image[]`, and a
mask), the rows that serve it (OpenAI, Azure), the price per image as for generations, and the SDK's
three faces against the OpenAI simulator."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

import llmrelay
from llmrelay.calls.operation import IMAGE_EDIT
from llmrelay.calls.served import served_of
from llmrelay.events.record import CallRecord
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.testing.openai_media import tiny_png
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError
from llmrelay.types.files import FileUpload
from llmrelay.types.image_edit import ImageEditRequest

REGISTRY = ProviderRegistry()
PNG, OTHER, MASK = tiny_png("a room"), tiny_png("a lamp"), tiny_png("a hole")
# dall-e-2's price per image at 256x256, and gpt-image-1's low-quality square, in micro-USD
DALL_E_2_SMALL = 16_000
GPT_IMAGE_LOW_SQUARE = 11_000


def _parts(body: bytes, content_type: str) -> list[tuple[str, bytes | str, str | None]]:
    form = email.message_from_bytes(
        b"content-type: " + content_type.encode() + b"\r\n\r\n" + body, policy=email.policy.HTTP
    )
    return [
        (
            str(p.get_param("name", header="content-disposition")),
            p.get_payload(decode=True) if p.get_filename() else p.get_content(),  # type: ignore[misc]
            p.get_filename(),
        )
        for p in form.iter_parts()
    ]


def test_the_adapter_sends_images_mask_and_fields() -> None:
    deployment = Deployment(
        provider="openai", model="gpt-image-1", api_key="sk-1", api_base="https://up.test/v1"
    )
    request = ImageEditRequest(
        image=[FileUpload(data=PNG, filename="a.png"), FileUpload(data=OTHER, filename="b.png")],
        mask=FileUpload(data=MASK, filename="m.png"), prompt="add a lamp", model="group", quality="low",
        extra_body={"background": "transparent"},
    )  # fmt: skip
    sent = REGISTRY.get("openai").codec("image_edit", IMAGE_EDIT.label).prepare(request, deployment)
    assert sent.url == "https://up.test/v1/images/edits"
    parts = _parts(sent.body, sent.headers["content-type"])
    assert [(name, filename) for name, _, filename in parts] == [
        ("model", None), ("prompt", None), ("quality", None), ("background", None),
        ("image[]", "a.png"), ("image[]", "b.png"), ("mask", "m.png"),
    ]  # fmt: skip
    assert parts[0][1] == "gpt-image-1" and parts[4][1] == PNG and parts[6][1] == MASK
    one = ImageEditRequest(image=FileUpload(data=PNG, filename="a.png"), prompt="p", model="g")
    sent = REGISTRY.get("openai").codec("image_edit", IMAGE_EDIT.label).prepare(one, deployment)
    assert [name for name, _, _ in _parts(sent.body, sent.headers["content-type"])] == [
        "model",
        "prompt",
        "image",
    ]


def test_azure_serves_it_at_the_deployment() -> None:
    # a token passed with the call is a credential, never a form field
    request = ImageEditRequest(
        image=FileUpload(data=PNG), prompt="p", model="g", extra_body={"azure_ad_token": "t"}
    )
    azure = Deployment(
        provider="azure", model="img", api_base="https://r.openai.azure.com", api_version="2025-04-01-preview"
    )
    sent = REGISTRY.get("azure").codec("image_edit", IMAGE_EDIT.label).prepare(request, azure)
    assert (
        sent.url
        == "https://r.openai.azure.com/openai/deployments/img/images/edits?api-version=2025-04-01-preview"
    )
    assert sent.headers["authorization"] == "Bearer t" and b"azure_ad_token" not in sent.body
    for provider in ("groq", "anthropic"):
        with pytest.raises(BadRequestError, match=f"provider '{provider}' does not support image edits"):
            REGISTRY.get(provider).codec("image_edit", IMAGE_EDIT.label)


async def test_aimage_edit_is_priced_per_image(openai_sim: RunningSimulator, tmp_path: Path) -> None:
    path = tmp_path / "room.png"
    path.write_bytes(PNG)
    # no model: a client asks for dall-e-2
    images = await llmrelay.aimage_edit(path, "add a lamp", mask=("m.png", MASK), n=2, size="256x256",
                                        **openai_sim.sdk_kwargs())  # fmt: skip
    assert len(images.data) == 2 and all(d.url and "-edit-" in d.url for d in images.data)
    assert served_of(images).cost_micros == 2 * DALL_E_2_SMALL
    sent = openai_sim.requests.last
    assert sent.path == "/v1/images/edits" and sent.body["image"]["data"] == PNG
    assert sent.body["mask"]["data"] == MASK and sent.body["prompt"] == "add a lamp"


def test_several_images_for_gpt_image(openai_sim: RunningSimulator) -> None:
    images = llmrelay.image_edit([("a.png", PNG), ("b.png", OTHER)], "merge them", "openai/gpt-image-1",
                                 size="1024x1024", quality="low", **openai_sim.sdk_kwargs())  # fmt: skip
    assert images.data[0].b64_json and served_of(images).cost_micros == GPT_IMAGE_LOW_SQUARE
    assert [i["filename"] for i in openai_sim.requests.last.body["image[]"]] == ["a.png", "b.png"]


def test_bad_edits_name_their_field(openai_sim: RunningSimulator) -> None:
    for kwargs, param in (({"n": 11}, "n"), ({"stream": True}, "stream"),
                          ({"response_format": "gif"}, "response_format")):  # fmt: skip
        with pytest.raises(BadRequestError) as bad:
            llmrelay.image_edit(PNG, "p", "openai/dall-e-2", **kwargs, **openai_sim.sdk_kwargs())
        assert bad.value.param == param
    with pytest.raises(BadRequestError) as bad:
        llmrelay.image_edit([], "p", "openai/dall-e-2", **openai_sim.sdk_kwargs())
    assert bad.value.param == "image"
    # the provider's own refusal (dall-e-2 edits one PNG) comes back as a 400
    with pytest.raises(BadRequestError, match="edits one PNG"):
        llmrelay.image_edit([PNG, OTHER], "p", "openai/dall-e-2", **openai_sim.sdk_kwargs())
    assert openai_sim.requests.count("/v1/images/edits") == 1


async def test_router_aimage_edit_is_recorded(openai_sim: RunningSimulator) -> None:
    records: list[CallRecord] = []

    class Sink:
        def on_success(self, record: CallRecord) -> None:
            records.append(record)

    group = [
        {"model_name": "edit", "litellm_params": {"model": "openai/dall-e-2", **openai_sim.sdk_kwargs()}}
    ]
    router = Router(model_list=group, callbacks=[Sink()])
    try:
        images = await router.aimage_edit(PNG, "a hat", model="edit", size="256x256")
        assert served_of(images).model_group == "edit"
        await router.aflush()
        assert [(r.call_type, r.cost_micros) for r in records] == [("image_edit", DALL_E_2_SMALL)]
    finally:
        await router.aclose()
