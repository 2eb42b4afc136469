"""An Azure deployment configured with a Microsoft Entra ID app registration (LiteLLM's tenant_id,
client_id, client_secret in litellm_params) served by the gateway: the token is minted from the
simulator's Entra endpoint, and the secret never shows in /model/info."""

from __future__ import annotations

import json

import openai
from harness import running

from llmrelay.config.loader import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing.openai_sim import OpenAISimulator

TENANT, CLIENT, SECRET = "contoso-tenant", "app-1234", "s3cr3t-entra-value"


def test_an_app_registration_deployment_is_served(start_sim: object) -> None:
    sim = start_sim("openai", api_keys={"the-only-key"})  # type: ignore[operator]
    simulator = sim.simulator
    assert isinstance(simulator, OpenAISimulator)
    simulator.entra.register_app(TENANT, CLIENT, SECRET)
    params = {"model": "azure/gpt-4o", "api_base": sim.base_url, "tenant_id": TENANT, "client_id": CLIENT,
              "client_secret": SECRET, "azure_authority_host": sim.base_url}  # fmt: skip
    document = {
        "model_list": [{"model_name": "gpt-4o", "litellm_params": params}],
        "general_settings": {"master_key": "sk-master-entra"},
    }
    with running(build_app(parse_config(document, source="t"))) as url:
        oai = openai.OpenAI(base_url=url + "/v1", api_key="sk-master-entra", max_retries=0)
        for _ in range(2):
            answer = oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
            assert answer.choices[0].message.content
        info = oai.get("/model/info", cast_to=object)
    assert simulator.entra.tokens_issued == 1
    assert SECRET not in json.dumps(info) and CLIENT in json.dumps(info)
