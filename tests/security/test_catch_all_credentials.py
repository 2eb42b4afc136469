"""A catch-all `model: "*"` deployment serves any `provider/model` a client names, so a key (or
endpoint) on it would go to that provider: `ollama/x` sends it to localhost:11434. Credentials are
refused on a catch-all; a wildcard naming its provider keeps its key with that provider."""

from __future__ import annotations

import pytest

from llmrelay.config.loader import parse_config
from llmrelay.proxy.server import check_router_settings
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import BadRequestError

KEY = "sk-catch-all-secret-123456"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"api_key": KEY}, "api_key"),
        ({"api_base": "http://10.0.0.2:8000/v1"}, "api_base"),
        ({"extra_headers": {"x-api-key": KEY}}, "extra_headers"),
        ({"aws_secret_access_key": KEY}, "aws_secret_access_key"),
    ],
)
def test_a_catch_all_with_credentials_is_refused(params: dict[str, object], named: str) -> None:
    refusal = rf"model_list\[0\]\.litellm_params: a catch-all deployment .* cannot carry {named}"
    with pytest.raises(BadRequestError, match=refusal):
        Router([{"model_name": "*", "litellm_params": {"model": "*", **params}}])


def test_the_gateway_refuses_it_at_startup() -> None:
    document = {"model_list": [{"model_name": "*", "litellm_params": {"model": "*", "api_key": KEY}}]}
    # what `llmrelay serve` runs first, and prints as one config error line
    with pytest.raises(ValueError, match="cannot carry api_key") as refused:
        check_router_settings(parse_config(document, source="test"))
    assert KEY not in str(refused.value)


def test_a_catch_all_without_credentials_still_serves_every_provider(openai_sim: RunningSimulator) -> None:
    router = Router([{"model_name": "*", "litellm_params": {"model": "*"}}])
    try:
        deployment = router.router_deployments()[0]
        target = deployment.for_model("ollama/llama3", router.engine.registry, router.catalog)
    finally:
        router.close()
    assert (target.provider, target.api_key, target.api_base) == ("ollama", None, None)


async def test_a_provider_wildcards_key_stays_with_its_provider(openai_sim: RunningSimulator) -> None:
    router = Router(
        [{"model_name": "*", "litellm_params": {"model": "openai/*", "api_key": openai_sim.api_key,
                                                "api_base": openai_sim.api_base}}],
    )  # fmt: skip
    try:
        # a client naming another provider still reaches only the wildcard's own provider and endpoint
        deployment = router.router_deployments()[0]
        target = deployment.for_model("ollama/llama3", router.engine.registry, router.catalog)
        assert (target.provider, target.api_base) == ("openai", openai_sim.api_base)
        await router.acompletion("openai/gpt-4o-mini", [{"role": "user", "content": "hi"}])
        assert openai_sim.requests.last.body["model"] == "gpt-4o-mini"
    finally:
        await router.aclose()
