"""Region routing in the router: which region a deployment is in (region_name, or what the provider
will call), and calls carrying an end user's routing kept to that region (streams and embeddings too,
retries, fallbacks, default models, aliases) while other calls are untouched."""

from __future__ import annotations

from typing import Any

import pytest
from router_upstream import Fault, Upstream

from llmrelay.calls.call import Call
from llmrelay.calls.context import CallContext, EndUserRouting
from llmrelay.calls.operation import CHAT, EMBEDDING
from llmrelay.calls.served import served_of
from llmrelay.cost.catalog import Catalog
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router import Router
from llmrelay.router.deployments import parse_model_list
from llmrelay.router.regions import RegionUnavailableError, classify
from llmrelay.types.chat import ChatRequest
from llmrelay.types.embedding import EmbeddingRequest

MESSAGES = [{"role": "user", "content": "hi"}]
EU = EndUserRouting("anna", "eu")


async def chat(router: Router, model: str, routing: EndUserRouting, stream: bool = False) -> Any:
    """A chat call carrying an end user's routing (as the gateway's key gate sets it)."""
    request = ChatRequest(model=model, messages=MESSAGES, stream=stream or None)  # type: ignore[arg-type]
    return await router.route(Call(CHAT, request, CallContext(routing=routing)))


def dep(upstream: Upstream, group: str, name: str, **params: object) -> dict[str, Any]:
    params = {"model": "openai/gpt-4o-mini", "api_key": "sk-test", "api_base": upstream.base(name), **params}
    return {"model_name": group, "litellm_params": params, "model_info": {"id": name}}


@pytest.mark.parametrize(
    ("name", "region"),
    [
        ("eu", "eu"), ("US", "us"), ("eu-central-1", "eu"), ("eu-west-2", "eu"), ("us-east-1", "us"),
        ("us-gov-west-1", "us"), ("europe-west4", "eu"), ("us-central1", "us"), ("westeurope", "eu"),
        ("swedencentral", "eu"), ("uksouth", "eu"), ("eastus2", "us"), ("southcentralus", "us"),
        ("ap-northeast-1", None), ("asia-east1", None), ("global", None), ("japaneast", None), ("", None),
    ],
)  # fmt: skip
def test_classify(name: str, region: str | None) -> None:
    assert classify(name) == region


def _regions(model_list: list[dict[str, Any]]) -> list[str | None]:
    return [d.region for d in parse_model_list(model_list, ProviderRegistry(), Catalog())]


def _entry(model: str, **params: Any) -> dict[str, Any]:
    return {"model_name": "m", "litellm_params": {"model": model, **params}}


def test_deployment_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VERTEXAI_LOCATION", "VERTEX_LOCATION", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert _regions(
        [
            _entry("openai/gpt-4o", region_name="eu"),  # stated
            _entry("openai/gpt-4o"),  # unknown: OpenAI's API names no region
            # a resource's name proves nothing
            _entry("azure/gpt", api_base="https://my-europe-resource.openai.azure.com"),
            _entry("azure/gpt", api_base="https://westeurope.api.cognitive.microsoft.com/"),
            _entry("azure/gpt", api_base="https://eastus.api.cognitive.microsoft.com"),
            _entry("vertex_ai/gemini-2.0-flash", vertex_location="europe-west4"),
            _entry("vertex_ai/gemini-2.0-flash"),  # the provider's default location: us-central1
            _entry("vertex_ai/gemini-2.0-flash", vertex_location="global"),
            _entry("bedrock/anthropic.claude-3-haiku", aws_region_name="eu-central-1"),
            _entry(
                "bedrock/anthropic.claude-3-haiku", api_base="https://bedrock-runtime.us-west-2.amazonaws.com"
            ),
            _entry("bedrock/anthropic.claude-3-haiku"),  # no region anywhere
            _entry("bedrock/anthropic.claude-3-haiku", aws_region_name="us-east-1", region_name="eu"),
        ]
    ) == ["eu", None, None, "eu", "us", "eu", "us", None, "eu", "us", None, "eu"]
    monkeypatch.setenv("VERTEXAI_LOCATION", "europe-west1")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert _regions([_entry("vertex_ai/gemini-2.0-flash"), _entry("bedrock/anthropic.claude-3-haiku")]) == [
        "eu",
        "eu",
    ]


async def test_every_call_type_is_kept_to_the_region(upstream: Upstream) -> None:
    router = Router(
        model_list=[
            dep(upstream, "gpt", "eu-a", region_name="eu"),
            dep(upstream, "gpt", "us-a", region_name="us"),
            dep(upstream, "gpt", "none-a"),
        ],
        seed=3,
    )
    try:
        for _ in range(5):
            response = await chat(router, "gpt", EU)
            assert served_of(response).deployment_id == "eu-a"
        stream = await chat(router, "gpt", EU, stream=True)
        async for _ in stream:
            pass
        await router.route(
            Call(EMBEDDING, EmbeddingRequest(model="gpt", input=["x"]), CallContext(routing=EU))
        )
        assert (upstream.received["us-a"], upstream.received["none-a"]) == (0, 0)
        assert upstream.received["eu-a"] >= 6
        # a client's metadata never steers the call: a routing look-alike in it changes nothing
        for _ in range(10):
            await router.acompletion(
                model="gpt", messages=MESSAGES, metadata={"end_user_routing": {"region": "eu"}}
            )
        assert upstream.received["us-a"] + upstream.received["none-a"] > 0
    finally:
        await router.aclose()


async def test_retries_and_fallbacks_stay_in_the_region(upstream: Upstream, clock: Any) -> None:
    upstream.fail("eu-a", Fault(500))
    router = Router(
        model_list=[
            dep(upstream, "gpt", "eu-a", region_name="eu"),
            dep(upstream, "gpt", "us-a", region_name="us"),
            dep(upstream, "claude", "us-b", region_name="us"),
        ],
        num_retries=1,
        fallbacks=[{"claude": ["gpt"]}],
        clock=clock,
        sleep=clock.sleep,
    )
    try:
        response = await chat(router, "gpt", EU)
        assert served_of(response).attempts == 2 and upstream.received["eu-a"] == 2
        assert len(clock.sleeps) == 1 and clock.sleeps[0] > 0  # backed off: no other deployment in the EU
        response = await chat(router, "claude", EU)
        assert served_of(response).fallback_from == "claude"
        assert upstream.received["eu-a"] == 3 and upstream.received["us-a"] == upstream.received["us-b"] == 0
    finally:
        await router.aclose()


async def test_no_deployment_in_the_region(upstream: Upstream) -> None:
    router = Router(model_list=[dep(upstream, "gpt", "us-a", region_name="us"), dep(upstream, "gpt", "none")])
    try:
        with pytest.raises(RegionUnavailableError) as refused:
            await chat(router, "gpt", EU)
        assert refused.value.status_code == 400 and refused.value.param == "allowed_model_region"
        assert "'gpt'" in refused.value.message and "'eu'" in refused.value.message
        assert "anna" in refused.value.message
        assert sum(upstream.received.values()) == 0
    finally:
        await router.aclose()


async def test_default_model_and_aliases(upstream: Upstream) -> None:
    router = Router(
        model_list=[
            dep(upstream, "gpt", "us-a", region_name="us"),
            dep(upstream, "eu-gpt", "eu-a", region_name="eu"),
            dep(upstream, "wild-*", "us-w", region_name="us"),
        ],
        model_group_alias={"europe": "eu-gpt"},
    )
    routing = EndUserRouting("anna", "eu", "eu-gpt")
    by_alias = EndUserRouting("anna", "eu", "europe")
    try:
        for end_user in (routing, by_alias):
            response = await chat(router, "gpt", end_user)
            assert served_of(response).deployment_id == "eu-a"
        # a wildcard group with nothing in the region also falls to the default model
        response = await chat(router, "wild-x", routing)
        assert served_of(response).deployment_id == "eu-a"
        # an unknown model stays unknown
        with pytest.raises(Exception, match="no model group named"):
            await chat(router, "nope", routing)
        assert upstream.received["us-a"] == upstream.received["us-w"] == 0
    finally:
        await router.aclose()
