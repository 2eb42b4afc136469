"""Bedrock and Vertex AI through their pass-through routes (a master-key gateway, the simulators
upstream): Bedrock's request re-signed with the gateway's SigV4 keys (the simulator verifies the
signature over the exact URL and body), Vertex AI's with an access token the gateway minted from its
service-account key (the simulator issued it); the client's own key never goes upstream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from llmrelay.config.loader import parse_config
from llmrelay.testing import RunningSimulator
from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from llmrelay.testing.gateway import GatewayThread

MASTER = "sk-clouds-master"
BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
HELLO = [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.fixture
def gateway(bedrock_sim: RunningSimulator, vertex_sim: RunningSimulator) -> Iterator[GatewayThread]:
    account = vertex_sim.simulator.new_service_account(vertex_sim.base_url + "/token")  # type: ignore[attr-defined]
    document: dict[str, Any] = {
        "model_list": [
            {"model_name": "claude-bedrock", "litellm_params": {
                "model": f"bedrock/{BEDROCK_MODEL}", "api_base": bedrock_sim.api_base,
                "aws_access_key_id": ACCESS_KEY_ID, "aws_secret_access_key": SECRET_ACCESS_KEY,
                "aws_region_name": "us-east-1"}},
            {"model_name": "gemini-vertex", "litellm_params": {
                "model": "vertex_ai/gemini-2.5-flash", "api_base": vertex_sim.base_url,
                "vertex_credentials": json.dumps(account), "vertex_location": "us-east5",
                "vertex_project": "sim-project"}},
        ],
        "general_settings": {"master_key": MASTER, "embedded_database": False},
    }  # fmt: skip
    gw = GatewayThread(parse_config(document, source="<test>"), name="clouds-gateway").start()
    try:
        yield gw
    finally:
        gw.stop()


async def post(gw: GatewayThread, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http:
        headers = {"authorization": f"Bearer {MASTER}"}
        async with http.post(gw.base_url + path, json=body, headers=headers) as reply:
            return reply.status, await reply.read()


async def test_bedrock_converse_is_re_signed(gateway: GatewayThread, bedrock_sim: RunningSimulator) -> None:
    status, body = await post(gateway, f"/bedrock/model/{BEDROCK_MODEL}/converse", {"messages": HELLO})
    assert status == 200, body
    assert json.loads(body)["usage"]["inputTokens"] > 0
    sent = bedrock_sim.requests.last
    assert sent.header("authorization").startswith("AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY_ID)  # type: ignore[union-attr]
    assert MASTER not in str(dict(sent.headers))


async def test_vertex_gemini_with_a_minted_token(
    gateway: GatewayThread, vertex_sim: RunningSimulator
) -> None:
    path = (
        "/v1/projects/sim-project/locations/us-east5/publishers/google/models/"
        "gemini-2.5-flash:generateContent"
    )
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    status, answer = await post(gateway, "/vertex_ai" + path, body)
    assert status == 200, answer
    assert json.loads(answer)["usageMetadata"]["totalTokenCount"] > 0
    calls = [r for r in vertex_sim.requests if r.path != "/token"]
    assert calls[-1].path == path
    token = calls[-1].header("authorization")
    assert token is not None and token.startswith("Bearer ") and MASTER not in token
    assert vertex_sim.simulator.tokens_issued == 1  # type: ignore[attr-defined]
