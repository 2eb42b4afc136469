"""An OCI Generative AI deployment served by the gateway, its API key in a file: every call is
signed with the key read from its file (the simulator verifies each signature), streams too, and
neither the key nor its path shows in /model/info."""

from __future__ import annotations

import json
from pathlib import Path

import openai
from harness import running

from llmrelay.config.loader import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing.oci_sim import OCISimulator


def test_an_oci_deployment_is_served_with_signed_calls(start_sim: object, tmp_path: Path) -> None:
    sim = start_sim("oci")  # type: ignore[operator]
    simulator = sim.simulator
    assert isinstance(simulator, OCISimulator)
    settings = simulator.new_key("gw:00:11")
    key_file = tmp_path / "oci_api_key.pem"
    key_file.write_text(settings.pop("oci_key"))
    params = {"model": "oci/meta.llama-3.3-70b-instruct", "api_base": sim.api_base,
              "oci_key_file": str(key_file), **settings}  # fmt: skip
    document = {
        "model_list": [{"model_name": "llama", "litellm_params": params}],
        "general_settings": {"master_key": "sk-master-oci"},
    }
    with running(build_app(parse_config(document, source="t"))) as url:
        oai = openai.OpenAI(base_url=url + "/v1", api_key="sk-master-oci", max_retries=0)
        for _ in range(2):
            answer = oai.chat.completions.create(model="llama", messages=[{"role": "user", "content": "hi"}])
            assert answer.choices[0].message.content
        streamed = oai.chat.completions.create(
            model="llama", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        info = json.dumps(oai.get("/model/info", cast_to=object))
    calls = [r for r in sim.requests if r.path == "/20231130/actions/chat"]
    assert len(calls) == 3 and all(
        r.header("authorization").startswith('Signature version="1"') for r in calls
    )
    assert "PRIVATE KEY" not in info and str(key_file) not in info and settings["oci_user"] in info
