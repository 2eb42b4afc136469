"""A Vertex AI deployment with no credentials in its config, served by the gateway on a machine whose
Google identity is the metadata server's (GCE / GKE workload identity): the token comes from the
simulated metadata server once for several calls, and none of it shows in /model/info."""

from __future__ import annotations

import json

import openai
import pytest
from harness import running

from llmrelay.config.loader import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing.google_identity import GoogleIdentitySimulator
from llmrelay.testing.serve_app import serve_in_thread
from llmrelay.testing.vertex_sim import VertexSimulator


def test_a_metadata_server_identity_serves_a_vertex_deployment(
    start_sim: object, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    sim = start_sim("vertex")  # type: ignore[operator]
    vertex = sim.simulator
    assert isinstance(vertex, VertexSimulator)
    identity = GoogleIdentitySimulator(accept=vertex.accept_token)
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "NO_GCE_CHECK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    params = {"model": "vertex_ai/gemini-2.0-flash", "api_base": sim.base_url, "vertex_project": "proj-1"}
    document = {
        "model_list": [{"model_name": "gemini", "litellm_params": params}],
        "general_settings": {"master_key": "sk-master-adc"},
    }
    with serve_in_thread(identity) as host:
        monkeypatch.setenv("GCE_METADATA_HOST", host)
        with running(build_app(parse_config(document, source="t"))) as url:
            oai = openai.OpenAI(base_url=url + "/v1", api_key="sk-master-adc", max_retries=0)
            for _ in range(3):
                answer = oai.chat.completions.create(
                    model="gemini", messages=[{"role": "user", "content": "hi"}]
                )
                assert answer.choices[0].message.content
            info = oai.get("/model/info", cast_to=object)
    assert identity.issued == ["metadata"]
    tokens = {r.header("authorization") for r in sim.requests if r.path.startswith("/v1/projects")}
    assert len(tokens) == 1 and tokens.pop().startswith("Bearer ya29.sim-metadata-")
    assert "ya29" not in json.dumps(info)
