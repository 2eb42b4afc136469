"""OpenAI's /moderations and /images/generations: the adapters' requests and parsing (OpenAI, Azure,
a compatible row without them), per-image prices, then the SDK against the OpenAI simulator."""

from __future__ import annotations

import base64
import json

import pytest

import llmrelay
from llmrelay.cost.catalog import Catalog
from llmrelay.cost.units import image_price_picos
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing import RunningSimulator
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, InternalServerError
from llmrelay.types.http import HttpResponse
from llmrelay.types.image import ImageGenerationRequest
from llmrelay.types.moderation import ModerationRequest

REGISTRY = ProviderRegistry()


def _response(body: object) -> HttpResponse:
    return HttpResponse(status=200, headers={}, body=json.dumps(body).encode())


# ---- adapters (sans-IO)
def test_moderation_request_and_parse() -> None:
    adapter = REGISTRY.get("openai")
    deployment = Deployment(provider="openai", model="omni-moderation-latest", api_key="sk-1")
    request = ModerationRequest(input=["a", "b"], model="mods", extra_body={"x": 1})
    sent = adapter.prepare_moderation(request, deployment)
    assert sent.url == "https://api.openai.com/v1/moderations"
    assert sent.headers["authorization"] == "Bearer sk-1"
    assert json.loads(sent.body) == {"input": ["a", "b"], "model": "omni-moderation-latest", "x": 1}
    scores = {"hate": 0.9}
    parsed = adapter.parse_moderation(
        _response({"id": "modr-1", "model": "omni-moderation-2024-09-26", "results": [
            {"flagged": True, "categories": {"hate": True}, "category_scores": scores,
             "category_applied_input_types": {"hate": ["text"]}}]}),
        request,
    )  # fmt: skip
    assert parsed.results[0].flagged and parsed.results[0].category_scores == scores
    with pytest.raises(InternalServerError):
        adapter.parse_moderation(_response({"id": "x"}), request)


def test_image_request_for_openai_and_azure() -> None:
    request = ImageGenerationRequest(
        prompt="a kite", model="group", n=1, size="1024x1024", quality="hd", response_format="b64_json",
        style="vivid", user="u1", extra_body={"background": "transparent"},
    )  # fmt: skip
    openai_sent = REGISTRY.get("openai").prepare_image_generation(
        request, Deployment(provider="openai", model="dall-e-3", api_key="sk-1")
    )
    assert openai_sent.url == "https://api.openai.com/v1/images/generations"
    assert json.loads(openai_sent.body) == {
        "prompt": "a kite", "model": "dall-e-3", "n": 1, "size": "1024x1024", "quality": "hd",
        "response_format": "b64_json", "style": "vivid", "user": "u1", "background": "transparent",
    }  # fmt: skip
    azure = Deployment(
        provider="azure", model="my-dalle", api_key="az-1", api_base="https://res.openai.azure.com",
        api_version="2024-10-21",
    )  # fmt: skip
    azure_sent = REGISTRY.get("azure").prepare_image_generation(request, azure)
    assert azure_sent.url == (
        "https://res.openai.azure.com/openai/deployments/my-dalle/images/generations?api-version=2024-10-21"
    )
    assert azure_sent.headers["api-key"] == "az-1" and "authorization" not in azure_sent.headers


def test_rows_without_the_endpoints_have_no_codec_for_them() -> None:
    """What a row serves is its adapter's codec table; the engine refuses the rest by the call
    type's label (tests/engine/test_engine_rows.py)."""
    assert "moderation" not in REGISTRY.get("groq").codecs
    assert "image_generation" not in REGISTRY.get("groq").codecs
    assert {"image_generation", "text_completion"} <= set(REGISTRY.get("azure").codecs)
    assert "moderation" not in REGISTRY.get("azure").codecs
    assert "rerank" not in REGISTRY.get("openai").codecs
    with pytest.raises(BadRequestError, match="provider 'groq' does not support moderations"):
        REGISTRY.get("groq").codec("moderation", "moderations")


@pytest.mark.parametrize(
    ("model", "provider", "size", "quality", "usd"),
    [("dall-e-3", "openai", None, None, 0.04), ("dall-e-3", "openai", "1024x1792", "hd", 0.12),
     ("dall-e-2", "openai", "256x256", None, 0.016), ("gpt-image-1", "openai", "1536x1024", "high", 0.25),
     ("gpt-image-1", "openai", "1024x1024", "auto", 0.042), ("nope", "openai", None, None, None)],
)  # fmt: skip
def test_image_prices(
    model: str, provider: str, size: str | None, quality: str | None, usd: float | None
) -> None:
    picos = image_price_picos(Catalog(), model, provider, size, quality)
    assert (picos / 1e12 if picos is not None else None) == (pytest.approx(usd) if usd is not None else None)


# ---- SDK against the simulator
@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_amoderation_defaults_to_omni_moderation(
    openai_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    resp = await client.amoderation("you idiot", **openai_sim.sdk_kwargs())
    assert openai_sim.requests.last.body == {"input": "you idiot", "model": "omni-moderation-latest"}
    assert resp.results[0].flagged and resp.results[0].categories["harassment"]
    assert resp._hidden_params["cost_micros"] == 0  # type: ignore[attr-defined]


async def test_aimage_generation(openai_sim: RunningSimulator, client: llmrelay.Client) -> None:
    resp = await client.aimage_generation("a heron", "dall-e-2", n=2, response_format="b64_json",
                                          **openai_sim.sdk_kwargs())  # fmt: skip
    assert len(resp.data) == 2 and resp.data[0].b64_json != resp.data[1].b64_json
    assert base64.b64decode(resp.data[0].b64_json or "").startswith(b"\x89PNG")
    assert resp._hidden_params["cost_micros"] == 40_000  # type: ignore[attr-defined]


def test_module_level_sync_functions(openai_sim: RunningSimulator) -> None:
    assert llmrelay.moderation(["ok", "contraband"], **openai_sim.sdk_kwargs()).results[1].flagged
    image = llmrelay.image_generation("a heron", "openai/dall-e-3", **openai_sim.sdk_kwargs())
    assert image.data[0].url and image.data[0].url.endswith(".png")


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [({"status": 401}, llmrelay.AuthenticationError), ({"status": 429}, llmrelay.RateLimitError)],
)
async def test_errors(
    openai_sim: RunningSimulator, client: llmrelay.Client, fault: dict, error_class: type[llmrelay.LLMError]
) -> None:
    openai_sim.faults.set(**fault)
    with pytest.raises(error_class):
        await client.aimage_generation("x", "dall-e-3", num_retries=0, **openai_sim.sdk_kwargs())
    openai_sim.faults.clear()
    with pytest.raises(llmrelay.BadRequestError) as bad:  # the upstream's 400 names its field
        await client.aimage_generation("x", "dall-e-3", n=3, **openai_sim.sdk_kwargs())
    assert bad.value.param == "n"
