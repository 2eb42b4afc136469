"""azure_ai/ (Azure AI Foundry's model inference API): where each kind of api_base sends a call and
which header carries the key — a Foundry resource's /models with api-key, a serverless endpoint's
root with a bearer token, a base written with its whole path taken as it is."""

from __future__ import annotations

import pytest

from llmrelay.providers.openai_hosted.azure_ai import AzureAIProvider
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment

FOUNDRY = "https://res.services.ai.azure.com"
REQUEST = ChatRequest(model="azure_ai/m", messages=[{"role": "user", "content": "hi"}])


@pytest.mark.parametrize(
    ("api_base", "api_version", "url", "header"),
    [
        (FOUNDRY, "2024-05-01-preview", f"{FOUNDRY}/models/chat/completions?api-version=2024-05-01-preview",
         "api-key"),
        (f"{FOUNDRY}/models/chat/completions?api-version=2025-01-01", "2024-05-01-preview",
         f"{FOUNDRY}/models/chat/completions?api-version=2025-01-01", "api-key"),
        ("https://Mistral-large.eastus2.models.ai.azure.com", None,
         "https://Mistral-large.eastus2.models.ai.azure.com/chat/completions", "authorization"),
        ("https://res.openai.azure.com/openai/v1", None, "https://res.openai.azure.com/openai/v1/chat/completions",
         "api-key"),
    ],
)  # fmt: skip
def test_url_and_key_header(api_base: str, api_version: str | None, url: str, header: str) -> None:
    deployment = Deployment(
        provider="azure_ai", model="m", api_key="k-1", api_base=api_base, api_version=api_version
    )
    sent = AzureAIProvider().prepare_chat(REQUEST, deployment)
    assert sent.url == url
    assert sent.headers[header] == ("Bearer k-1" if header == "authorization" else "k-1")
    (other,) = {"api-key", "authorization"} - {header}
    assert other not in sent.headers


def test_no_api_base_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_AI_API_BASE", raising=False)
    from llmrelay.types.errors import BadRequestError

    with pytest.raises(BadRequestError) as refused:
        AzureAIProvider().prepare_chat(REQUEST, Deployment(provider="azure_ai", model="m", api_key="k"))
    assert refused.value.param == "api_base"
