"""`Provider.serving_region`: the adapter answers where a deployment is served from (the router
classifies the answer: router/regions.py); providers without regions answer None."""

from __future__ import annotations

import pytest

from llmrelay.cost.catalog import Catalog
from llmrelay.providers.compat import compat_specs
from llmrelay.providers.openai import OpenAICompatible
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router.deployments import parse_model_list
from llmrelay.types.deployment import Deployment

_ENV = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEDROCK_RUNTIME_ENDPOINT",
    "VERTEXAI_LOCATION",
    "VERTEX_LOCATION",
)


@pytest.fixture(autouse=True)
def _no_region_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("provider", "api_base", "options", "region"),
    [
        ("openai", None, None, None),
        ("anthropic", None, {"region_name": "eu"}, None),  # region_name is the router's, not the adapter's
        ("azure", "https://westeurope.api.cognitive.microsoft.com", None, "westeurope"),
        ("azure", "https://my-eu.openai.azure.com", None, None),
        ("bedrock", None, {"aws_region_name": "eu-central-1"}, "eu-central-1"),
        ("bedrock", None, {"aws_bedrock_runtime_endpoint": "https://bedrock-runtime.us-west-2.amazonaws.com"},
         "us-west-2"),
        ("bedrock", None, None, None),
        ("vertex_ai", None, {"vertex_location": "europe-west4"}, "europe-west4"),
        ("vertex_ai", None, None, "us-central1"),
    ],
)  # fmt: skip
def test_serving_region(
    provider: str, api_base: str | None, options: dict[str, str] | None, region: str | None
) -> None:
    deployment = Deployment(provider=provider, model="m", api_base=api_base, options=options)
    assert ProviderRegistry().get(provider).serving_region(deployment) == region


def test_the_environment_places_vertex_and_bedrock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEXAI_LOCATION", "europe-west1")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    registry = ProviderRegistry()
    assert (
        registry.get("vertex_ai").serving_region(Deployment(provider="vertex_ai", model="m"))
        == "europe-west1"
    )
    assert registry.get("bedrock").serving_region(Deployment(provider="bedrock", model="m")) == "eu-west-3"


def test_the_router_asks_the_adapter_not_a_list_of_provider_names() -> None:
    class Regional(OpenAICompatible):
        def serving_region(self, deployment: Deployment) -> str | None:
            return "eu-west-1"

    registry = ProviderRegistry()
    registry.register(Regional(compat_specs()["openai"]))
    entry = {"model_name": "m", "litellm_params": {"model": "openai/gpt-4o", "api_key": "k"}}
    assert [d.region for d in parse_model_list([entry], registry, Catalog())] == ["eu"]
