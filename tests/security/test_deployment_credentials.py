"""/model/info, /health and /v1/models never show a credential field (proxy/credentials.py) to anyone,
admins included, and show a key only the deployments of the models it may call (hardening issue:
/model/info showed a Bedrock deployment's aws_access_key_id to any key allowed its group)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from llmrelay.config.loader import parse_config
from llmrelay.proxy.credentials import is_credential_field, without_credentials
from llmrelay.testing.gateway import GatewayThread

MASTER_KEY = "sk-deployment-credentials-master"
SECRETS = {
    "aws_access_key_id": "AKIAEXAMPLESECRET0001",
    "aws_secret_access_key": "aws-secret-value-0002",
    "aws_session_token": "aws-session-token-0003",
    "api_key": "sk-azure-secret-0004",
    "azure_ad_token": "azure-ad-token-0005",
    "client_secret": "entra-client-secret-0006",
    "header": "header-secret-0007",
    "url_password": "url-password-0008",
    "info_token": "model-info-token-0009",
    "vertex": "vertex-private-key-0010",
}
MODEL_LIST: list[dict[str, Any]] = [
    {"model_name": "claude", "litellm_params": {
        "model": "bedrock/anthropic.claude-3-haiku-20240307-v1:0", "aws_region_name": "us-east-1",
        "aws_access_key_id": SECRETS["aws_access_key_id"],
        "aws_secret_access_key": SECRETS["aws_secret_access_key"],
        "aws_session_token": SECRETS["aws_session_token"]}},
    {"model_name": "gpt-4o", "litellm_params": {
        "model": "azure/gpt-4o", "api_version": "2024-10-21", "api_key": SECRETS["api_key"],
        "api_base": f"https://svc:{SECRETS['url_password']}@example.openai.azure.com",
        "azure_ad_token": SECRETS["azure_ad_token"], "client_secret": SECRETS["client_secret"],
        "extra_headers": {"x-api-key": SECRETS["header"], "x-team": "blue"}},
     "model_info": {"internal_token": SECRETS["info_token"], "input_cost_per_token": 0.000001}},
    {"model_name": "gemini", "litellm_params": {
        "model": "vertex_ai/gemini-2.0-flash", "vertex_project": "p", "vertex_location": "us-central1",
        "vertex_credentials": json.dumps({"type": "service_account", "private_key": SECRETS["vertex"]})}},
]  # fmt: skip


@pytest.fixture
def gateway(database_url: str, tmp_path: Path) -> Iterator[GatewayThread]:
    document = {
        "model_list": MODEL_LIST,
        "general_settings": {"master_key": MASTER_KEY, "database_url": database_url,
                             "spend_spool_dir": str(tmp_path / "spool")},
    }  # fmt: skip
    gw = GatewayThread(parse_config(document, source="<test>")).start()
    try:
        yield gw
    finally:
        gw.stop()


async def _get(gw: GatewayThread, path: str, key: str) -> Any:
    headers = {"authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(gw.base_url) as http, http.get(path, headers=headers) as reply:
        assert reply.status == 200, await reply.text()
        return await reply.json()


async def _post(gw: GatewayThread, path: str, body: Any) -> Any:
    headers = {"authorization": f"Bearer {MASTER_KEY}"}
    async with (
        aiohttp.ClientSession(gw.base_url) as http,
        http.post(path, json=body, headers=headers) as reply,
    ):
        assert reply.status == 200, await reply.text()
        return await reply.json()


def _no_secret_in(answer: Any) -> None:
    text = json.dumps(answer)
    for name, secret in SECRETS.items():
        assert secret not in text, name


def _groups(gw_answer: dict[str, Any]) -> set[str]:
    return {e["model_name"] for e in gw_answer["healthy_endpoints"] + gw_answer["unhealthy_endpoints"]}


async def test_no_credential_field_is_shown_even_to_admins(gateway: GatewayThread) -> None:
    info = await _get(gateway, "/model/info", MASTER_KEY)
    _no_secret_in(info)
    _no_secret_in(await _get(gateway, "/health", MASTER_KEY))
    by_name = {e["model_name"]: e for e in info["data"]}
    assert set(by_name) == {"claude", "gpt-4o", "gemini"}
    # what is not a credential is still shown
    claude, gpt = by_name["claude"]["litellm_params"], by_name["gpt-4o"]
    assert claude["aws_region_name"] == "us-east-1" and "aws_access_key_id" not in claude
    assert gpt["litellm_params"]["api_base"] == "https://***@example.openai.azure.com"
    assert gpt["litellm_params"]["extra_headers"] == {"x-team": "blue"}
    assert gpt["model_info"] == {"input_cost_per_token": 0.000001}
    assert "vertex_credentials" not in by_name["gemini"]["litellm_params"]


async def test_a_key_sees_only_the_deployments_of_its_models(gateway: GatewayThread) -> None:
    limited = (await _post(gateway, "/key/generate", {"models": ["claude"]}))["key"]
    unlimited = (await _post(gateway, "/key/generate", {}))["key"]
    await _post(
        gateway, "/user/new", {"user_id": "root", "user_role": "proxy_admin", "auto_create_key": False}
    )
    admin = (await _post(gateway, "/key/generate", {"user_id": "root", "models": ["claude"]}))["key"]
    await _post(
        gateway, "/user/new", {"user_id": "ops", "user_role": "proxy_admin_viewer", "auto_create_key": False}
    )
    # a proxy admin viewer reads everything: every deployment (never a credential), whatever its models
    viewer = (await _post(gateway, "/key/generate", {"user_id": "ops", "models": ["claude"]}))["key"]

    info = await _get(gateway, "/model/info", limited)
    assert [e["model_name"] for e in info["data"]] == ["claude"]
    _no_secret_in(info)
    health = await _get(gateway, "/health", limited)
    assert _groups(health) == {"claude"} and health["healthy_count"] == 1
    models = await _get(gateway, "/v1/models", limited)
    assert [m["id"] for m in models["data"]] == ["claude"]
    for key in (unlimited, admin, viewer, MASTER_KEY):
        assert _groups(await _get(gateway, "/health", key)) == {"claude", "gpt-4o", "gemini"}
        assert len((await _get(gateway, "/model/info", key))["data"]) == 3


def test_credential_field_names() -> None:
    for name in ("api_key", "AWS_ACCESS_KEY_ID", "aws_secret_access_key", "x-goog-api-key", "api-key",
                 "my_client_secret", "azure_ad_token_provider", "vertex_credentials", "Authorization",
                 "password", "refresh_token"):  # fmt: skip
        assert is_credential_field(name), name
    for name in ("model", "api_base", "api_version", "aws_region_name", "input_cost_per_token",
                 "max_tokens", "rpm", "tpm", "vertex_project", "tenant_id", "max_input_tokens"):  # fmt: skip
        assert not is_credential_field(name), name
    assert without_credentials({"a": [{"token": "t", "b": "https://x.test/v1?key=k&alt=sse"}]}) == {
        "a": [{"b": "https://x.test/v1?key=%2A%2A%2A&alt=sse"}]
    }
