"""LiteLLM's chat-serving provider prefixes (litellm_chat_prefixes.txt, with its source): each one
either resolves in llmrelay or is refused as a LiteLLM provider llmrelay does not serve (never as an
unknown name), and the served share does not fall."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmrelay.providers.registry import ProviderRegistry
from llmrelay.router.model_strings import LITELLM_ONLY_PROVIDERS, model_string_problem

PREFIXES = [
    line.strip()
    for line in (Path(__file__).parent / "litellm_chat_prefixes.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
# 70 of LiteLLM's 99 chat prefixes were served when this list was taken (86 with SageMaker's two,
# watsonx's two, cloudflare, databricks, amazon_nova, maritalk, azure_ai, datarobot, gradient_ai, oci,
# oobabooga, ragflow, text-completion-codestral and vertex_ai_beta): a floor, not a target
SERVED_FLOOR = 86


@pytest.mark.parametrize("prefix", PREFIXES)
def test_prefix_resolves_or_is_refused_as_litellm_only(prefix: str) -> None:
    registry = ProviderRegistry()
    problem = model_string_problem(f"{prefix}/some-model", registry)
    if prefix in registry:
        assert problem is None
    else:
        assert prefix in LITELLM_ONLY_PROVIDERS
        assert problem is not None and "is not served by llmrelay" in problem


def test_served_share() -> None:
    served = [p for p in PREFIXES if p in ProviderRegistry()]
    assert len(PREFIXES) == 99
    assert len(served) >= SERVED_FLOOR
