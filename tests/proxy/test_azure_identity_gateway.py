"""An Azure deployment with no credentials in its config, served by the gateway on a VM whose
identity is a managed identity (LiteLLM's `litellm_settings.enable_azure_ad_token_refresh`, which
takes DefaultAzureCredential's secretless identities): the token comes from the simulated instance
metadata service once for several calls, and none of it shows in /model/info."""

from __future__ import annotations

import json

import openai
import pytest
from harness import running

from llmrelay.config.loader import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing.azure_identity import SYSTEM_CLIENT_ID, AzureIdentitySimulator
from llmrelay.testing.openai_sim import OpenAISimulator
from llmrelay.testing.serve_app import serve_in_thread

AZURE_ENV = (
    "AZURE_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_AD_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
)  # fmt: skip


def test_a_managed_identity_serves_an_azure_deployment(
    start_sim: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = start_sim("openai", api_keys={"the-only-key"})  # type: ignore[operator]
    simulator = sim.simulator
    assert isinstance(simulator, OpenAISimulator)
    identity = AzureIdentitySimulator(entra=simulator.entra)
    for name in AZURE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AZURE_CREDENTIAL", raising=False)
    document = {
        "model_list": [
            {"model_name": "gpt-4o", "litellm_params": {"model": "azure/gpt-4o", "api_base": sim.base_url}}
        ],
        "general_settings": {"master_key": "sk-master-mi"},
        "litellm_settings": {"enable_azure_ad_token_refresh": True},
    }
    with serve_in_thread(identity) as host:
        monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", f"http://{host}")
        with running(build_app(parse_config(document, source="t"))) as url:
            oai = openai.OpenAI(base_url=url + "/v1", api_key="sk-master-mi", max_retries=0)
            for _ in range(3):
                answer = oai.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
                )
                assert answer.choices[0].message.content
            info = oai.get("/model/info", cast_to=object)
    assert identity.issued == [f"imds:{SYSTEM_CLIENT_ID}"]
    assert sim.requests.last.header("authorization").startswith("Bearer eyJ0eXAi.sim-entra.")
    assert "sim-entra" not in json.dumps(info)
