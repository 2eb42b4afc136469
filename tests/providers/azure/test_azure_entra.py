"""Azure OpenAI with a Microsoft Entra ID app registration: the client-credentials grant (request,
answers, errors), which credential wins, and SDK calls against the simulator's Entra token endpoint —
one token for many calls, no secret anywhere it could leak. (Through the gateway:
tests/proxy/test_azure_entra_gateway.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

import llmrelay
from llmrelay.events import CallRecord
from llmrelay.providers.azure import AzureOpenAI
from llmrelay.providers.azure.entra import DEFAULT_SCOPE, EntraClientCredentialsGrant
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing import RunningSimulator
from llmrelay.testing.openai_sim import OpenAISimulator
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.http import HttpResponse

TENANT, CLIENT, SECRET = "contoso-tenant", "app-1234", "s3cr3t-entra-value"
ENV = ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_AD_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
       "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST", "AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT")  # fmt: skip
HI = ChatRequest(model="azure/chat", messages=[{"role": "user", "content": "hi"}])  # type: ignore[list-item]
APP = {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET}


@pytest.fixture(autouse=True)
def _no_azure_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def azure() -> AzureOpenAI:
    adapter = ProviderRegistry().get("azure")
    assert isinstance(adapter, AzureOpenAI)
    return adapter


def deployment(api_key: str | None = None, **options: Any) -> Deployment:
    return Deployment(provider="azure", model="chat", api_base="https://r.openai.azure.com",
                      api_key=api_key, options=options or None)  # fmt: skip


def test_the_grant_request_and_answers() -> None:
    grant = EntraClientCredentialsGrant(TENANT, CLIENT, SECRET, authority="https://login.example/")
    request = grant.token_request(now=0)
    assert request.url == f"https://login.example/{TENANT}/oauth2/v2.0/token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    from urllib.parse import parse_qs

    form = {k: v[0] for k, v in parse_qs((request.body or b"").decode()).items()}
    assert form == {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET,
                    "scope": DEFAULT_SCOPE}  # fmt: skip
    assert SECRET not in repr(grant) and SECRET not in grant.cache_key
    other = EntraClientCredentialsGrant(TENANT, CLIENT, "another-secret")
    assert other.cache_key != EntraClientCredentialsGrant(TENANT, CLIENT, SECRET).cache_key

    ok = HttpResponse(
        status=200, headers={}, body=b'{"token_type":"Bearer","expires_in":3599,"access_token":"tok"}'
    )
    assert (grant.parse_token(ok).token, grant.parse_token(ok).expires_in) == ("tok", 3599)
    refused = HttpResponse(
        status=401,
        headers={},
        body=b'{"error":"invalid_client",'
        b'"error_description":"AADSTS7000215: Invalid client secret provided."}',
    )
    with pytest.raises(errors.AuthenticationError) as error:
        grant.parse_token(refused)
    assert "Invalid client secret" in str(error.value) and error.value.code == "invalid_client"


@pytest.mark.parametrize(
    ("api_key", "options", "environ", "expected"),
    [
        ("k", APP, {}, "api-key"),  # the deployment's own key first
        (None, {"azure_ad_token": "t", **APP}, {}, "bearer"),
        (None, APP, {"AZURE_API_KEY": "env"}, "grant"),  # the deployment's app beats the environment's key
        (None, {}, {"AZURE_API_KEY": "env", "AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT,
                    "AZURE_CLIENT_SECRET": SECRET}, "api-key"),
        (None, {}, {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT, "AZURE_CLIENT_SECRET": SECRET},
         "grant"),
    ],
)  # fmt: skip
def test_which_credential_wins(
    api_key: str | None, options: dict[str, str], environ: dict[str, str], expected: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    adapter = azure()
    target = deployment(api_key, **options)
    http = adapter.prepare_chat(HI, target)
    grant = adapter.token_grant(target)
    if expected == "grant":
        assert isinstance(grant, EntraClientCredentialsGrant) and grant.tenant_id == TENANT
        assert "api-key" not in http.headers and "authorization" not in http.headers
        assert adapter.authorize(http, "minted").headers["authorization"] == "Bearer minted"
    else:
        assert grant is None
        assert (
            ("api-key" in http.headers)
            if expected == "api-key"
            else http.headers["authorization"].startswith("Bearer ")
        )
    assert SECRET.encode() not in (http.body or b"")


def test_a_partial_app_registration_names_what_is_missing() -> None:
    with pytest.raises(errors.AuthenticationError) as error:
        azure().prepare_chat(HI, deployment(tenant_id=TENANT, client_secret=SECRET))
    assert "missing client_id" in str(error.value) and SECRET not in str(error.value)


@pytest.fixture
def locked_sim(start_sim: Any) -> RunningSimulator:
    """A simulator that takes only its own key, so only an Entra-issued token gets a bearer call in."""
    sim = start_sim("openai", api_keys={"the-only-key"})
    simulator = sim.simulator
    assert isinstance(simulator, OpenAISimulator)
    simulator.entra.register_app(TENANT, CLIENT, SECRET)
    return sim


def entra_kwargs(sim: RunningSimulator, secret: str = SECRET) -> dict[str, Any]:
    return {"api_base": sim.base_url, "tenant_id": TENANT, "client_id": CLIENT, "client_secret": secret,
            "azure_authority_host": sim.base_url}  # fmt: skip


async def test_sdk_calls_mint_one_token_and_keep_the_secret_out(locked_sim: RunningSimulator) -> None:
    records: list[CallRecord] = []

    class Keep:
        def on_success(self, record: CallRecord) -> None:
            records.append(record)

    simulator = locked_sim.simulator
    assert isinstance(simulator, OpenAISimulator)
    client = llmrelay.Client(callbacks=[Keep()])
    try:
        for _ in range(3):
            answer = await client.acompletion(
                model="azure/gpt-4o",
                messages=[{"role": "user", "content": "hello"}],
                **entra_kwargs(locked_sim),
            )
            assert answer.choices[0].message.content
        with pytest.raises(errors.AuthenticationError) as error:
            await client.acompletion(
                model="azure/gpt-4o", messages=[{"role": "user", "content": "hello"}],
                **entra_kwargs(locked_sim, secret="wrong-secret-value"),
            )  # fmt: skip
    finally:
        await client.aclose()
    assert simulator.entra.tokens_issued == 1  # three calls, one token
    assert "Invalid client secret" in str(error.value) and "wrong-secret-value" not in str(error.value)
    last = locked_sim.requests.last
    assert SECRET not in json.dumps(last.body) and "authorization" in {k.lower() for k in last.headers}
    assert records and all(SECRET not in repr(r.request) for r in records)
