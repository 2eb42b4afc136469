"""Azure OpenAI with no secret in its settings: managed identity (the instance metadata service, the
App Service endpoint) and workload identity (a federated token as the client assertion), each against
its simulated endpoint (llmrelay.testing.azure_identity, the Entra issuer of testing/entra.py), the
token then authorizing real calls to the OpenAI simulator's Azure routes; which identity is chosen;
errors that name what failed and never a token; renewal before expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import llmrelay
from llmrelay.core.credentials import TokenCache
from llmrelay.providers.azure import AzureOpenAI
from llmrelay.providers.azure.identity import ManagedIdentity, WorkloadIdentity, parse_identity_answer
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing import RunningSimulator
from llmrelay.testing.aws_identity import fetch_credential
from llmrelay.testing.azure_identity import SYSTEM_CLIENT_ID, AzureIdentitySimulator
from llmrelay.testing.openai_sim import OpenAISimulator
from llmrelay.testing.ports import free_port
from llmrelay.testing.serve_app import serve_here
from llmrelay.transport.http import HttpTransport
from llmrelay.types import errors
from llmrelay.types.deployment import Deployment
from llmrelay.types.http import HttpResponse

TENANT, CLIENT = "contoso-tenant", "wi-client-1234"
FEDERATED = "eyJhbGciOiJSUzI1NiJ9.aks-federated-token.sig"
USER_ASSIGNED = "user-assigned-5678"
ENV = ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_AD_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
       "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST", "AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT",
       "AZURE_CREDENTIAL", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
       "AZURE_POD_IDENTITY_AUTHORITY_HOST")  # fmt: skip


@pytest.fixture(autouse=True)
def _no_azure_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def locked_sim(start_sim: Any) -> RunningSimulator:
    """A simulator that takes only its own key, so only an Entra-issued token gets a bearer call in."""
    sim: RunningSimulator = start_sim("openai", api_keys={"the-only-key"})
    return sim


def entra(sim: RunningSimulator) -> Any:
    simulator = sim.simulator
    assert isinstance(simulator, OpenAISimulator)
    return simulator.entra


@pytest.fixture
async def identity(locked_sim: RunningSimulator) -> AsyncIterator[tuple[AzureIdentitySimulator, str]]:
    simulator = AzureIdentitySimulator(entra=entra(locked_sim), user_assigned={USER_ASSIGNED})
    async with serve_here(simulator) as host:
        yield simulator, f"http://{host}"


async def call(sim: RunningSimulator, n: int = 1, **options: Any) -> None:
    kwargs = {"api_base": sim.base_url, "max_retries": 0, **options}
    async with llmrelay.Client() as client:
        hi = [{"role": "user", "content": "hi"}]
        answers = await asyncio.gather(*(client.acompletion("azure/gpt-4o", hi, **kwargs) for _ in range(n)))
    assert all(a.choices[0].message.content for a in answers)
    last = sim.requests.last
    assert last.header("authorization").startswith("Bearer eyJ0eXAi.sim-entra.")


def grant_of(**options: Any) -> Any:
    adapter = ProviderRegistry().get("azure")
    assert isinstance(adapter, AzureOpenAI)
    target = Deployment(provider="azure", model="chat", api_base="https://r.openai.azure.com",
                        options=options or None)  # fmt: skip
    return adapter.token_grant(target)


# ---- managed identity: IMDS
async def test_imds_system_assigned_identity(
    identity: tuple[AzureIdentitySimulator, str], locked_sim: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sim, host = identity
    monkeypatch.setenv("AZURE_CREDENTIAL", "ManagedIdentityCredential")
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", host)
    await call(locked_sim, n=3)
    assert sim.issued == [f"imds:{SYSTEM_CLIENT_ID}"]


async def test_imds_user_assigned_identity_by_client_id(
    identity: tuple[AzureIdentitySimulator, str], locked_sim: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sim, host = identity
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", host)
    # the deployment's client_id alone names a user-assigned identity
    await call(locked_sim, client_id=USER_ASSIGNED)
    # so does AZURE_CLIENT_ID alone (LiteLLM's inference of ManagedIdentityCredential)
    monkeypatch.setenv("AZURE_CLIENT_ID", USER_ASSIGNED)
    await call(locked_sim)
    assert sim.issued == [f"imds:{USER_ASSIGNED}"] * 2  # two credentials, one token each
    with pytest.raises(errors.AuthenticationError, match="metadata service refused: Identity not found"):
        await fetch_credential(grant_of(client_id="not-assigned-here"))


async def test_imds_not_there_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CREDENTIAL", "ManagedIdentityCredential")
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", f"127.0.0.1:{free_port()}")
    with pytest.raises(errors.AuthenticationError, match=r"did not answer .*no managed identity here"):
        await fetch_credential(grant_of())


# ---- managed identity: App Service / Container Apps
async def test_app_service_identity(
    identity: tuple[AzureIdentitySimulator, str], locked_sim: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sim, host = identity
    monkeypatch.setenv("IDENTITY_ENDPOINT", host + "/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", sim.identity_header)
    await call(locked_sim, n=2)
    assert sim.issued == [f"app_service:{SYSTEM_CLIENT_ID}"]
    monkeypatch.setenv("IDENTITY_HEADER", "wrong-identity-header")
    with pytest.raises(
        errors.AuthenticationError, match="App Service managed identity endpoint refused"
    ) as e:
        await fetch_credential(grant_of())
    assert "wrong-identity-header" not in str(e.value)
    monkeypatch.delenv("IDENTITY_HEADER")
    with pytest.raises(errors.AuthenticationError, match="Azure Arc, Service Fabric"):
        grant_of()


# ---- workload identity
async def test_workload_identity_from_the_environment(
    locked_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    issuer = entra(locked_sim)
    issuer.register_federated(TENANT, CLIENT, FEDERATED)
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(FEDERATED + "\n")
    environ = {"AZURE_FEDERATED_TOKEN_FILE": str(token_file), "AZURE_CLIENT_ID": CLIENT,
               "AZURE_TENANT_ID": TENANT, "AZURE_AUTHORITY_HOST": locked_sim.base_url}  # fmt: skip
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    before = issuer.tokens_issued
    await call(locked_sim, n=3)
    assert issuer.tokens_issued == before + 1
    assert isinstance(grant_of(), WorkloadIdentity)
    # a token file the app has no federated credential for: Entra refuses, the assertion is not quoted
    token_file.write_text("eyJ.another-token.sig")
    with pytest.raises(errors.AuthenticationError, match="AADSTS700213") as caught:
        await fetch_credential(grant_of())
    assert "another-token" not in str(caught.value)


async def test_workload_identity_named_by_the_deployment(
    locked_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    entra(locked_sim).register_federated(TENANT, CLIENT, FEDERATED)
    (tmp_path / "token").write_text(FEDERATED)
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(tmp_path / "token"))
    await call(locked_sim, tenant_id=TENANT, client_id=CLIENT, azure_authority_host=locked_sim.base_url)
    monkeypatch.delenv("AZURE_FEDERATED_TOKEN_FILE")
    with pytest.raises(errors.AuthenticationError, match="needs AZURE_FEDERATED_TOKEN_FILE"):
        grant_of(tenant_id=TENANT, client_id=CLIENT)


# ---- the choice
@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"AZURE_CREDENTIAL": "DefaultAzureCredential"}, ManagedIdentity),
        ({"AZURE_CREDENTIAL": "DeploymentIdentityCredential", "AZURE_CLIENT_ID": CLIENT,
          "AZURE_TENANT_ID": TENANT, "AZURE_FEDERATED_TOKEN_FILE": "/t"}, WorkloadIdentity),
        ({"AZURE_CREDENTIAL": "WorkloadIdentityCredential", "AZURE_CLIENT_ID": CLIENT},
         "needs AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE"),
        ({"AZURE_CREDENTIAL": "AzureCliCredential"}, "'AzureCliCredential' is not supported"),
        ({"AZURE_CREDENTIAL": "ClientSecretCredential"}, "needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE"),
        # a key in the environment comes before any identity
        ({"AZURE_API_KEY": "k", "AZURE_CREDENTIAL": "ManagedIdentityCredential"}, "key"),
        ({"AZURE_AUTHORITY_HOST": "http://login.example", "AZURE_CLIENT_ID": CLIENT,
          "AZURE_TENANT_ID": TENANT, "AZURE_FEDERATED_TOKEN_FILE": "/t"}, "must be https"),
    ],
)  # fmt: skip
def test_which_identity_is_chosen(
    environ: dict[str, str], expected: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    if expected is None:
        with pytest.raises(errors.AuthenticationError, match="no Azure credentials"):
            grant_of()
    elif expected == "key":
        assert grant_of() is None
    elif isinstance(expected, str):
        with pytest.raises(errors.AuthenticationError, match=expected):
            grant_of()
    else:
        assert isinstance(grant_of(), expected)


def test_identity_answers_are_read_with_their_string_numbers() -> None:
    imds = b'{"access_token":"tok","expires_in":"3599","expires_on":"1","token_type":"Bearer"}'
    assert parse_identity_answer(HttpResponse(status=200, body=imds), 0.0, "x").expires_in == 3599.0
    app = b'{"access_token":"tok","expires_on":"1000600","token_type":"Bearer"}'
    assert parse_identity_answer(HttpResponse(status=200, body=app), 1_000_000.0, "x").expires_in == 600.0
    with pytest.raises(errors.AuthenticationError, match="already expired"):
        parse_identity_answer(HttpResponse(status=200, body=app), 2_000_000.0, "x")
    with pytest.raises(errors.ServiceUnavailableError):
        parse_identity_answer(HttpResponse(status=503, body=b"busy"), 0.0, "x")


async def test_a_managed_identity_token_is_renewed_before_it_expires(
    identity: tuple[AzureIdentitySimulator, str],
) -> None:
    sim, host = identity
    sim.lifetime = 1000
    now = [0.0]
    transport = HttpTransport()
    cache = TokenCache(lambda r, t: transport.send(r, t), margin=120.0, clock=lambda: now[0])
    grant = ManagedIdentity(resource="https://cognitiveservices.azure.com", imds_host=host)
    try:
        first, _ = await cache.token(grant)
        now[0] = 800.0  # in the renewal window (760 to 880): served from the cache, renewed behind
        assert await cache.token(grant) == (first, False)
        for _ in range(100):
            if len(sim.issued) == 2:
                break
            await asyncio.sleep(0.01)
        assert len(sim.issued) == 2
        renewed, _ = await cache.token(grant)
        assert renewed != first
        now[0] = 2000.0  # past refresh_at of the renewed one (800 + 880): a call waits for a new one
        latest, fresh = await cache.token(grant)
        assert fresh and latest not in (first, renewed) and len(sim.issued) == 3
    finally:
        await transport.aclose()


# ---- LiteLLM's azure_ad_token_provider (SDK only)
def _jwt(lifetime: float) -> str:
    import base64
    import json
    import time

    payload = base64.urlsafe_b64encode(json.dumps({"exp": time.time() + lifetime}).encode()).decode()
    return "eyJ0eXAiOiJKV1QifQ." + payload.rstrip("=") + ".sig"


async def test_a_token_provider_callable_is_asked_off_the_loop_and_its_token_kept(
    locked_sim: RunningSimulator,
) -> None:
    import threading

    issuer = entra(locked_sim)
    asked: list[str] = []

    def provider() -> str:
        asked.append(threading.current_thread().name)
        return str(issuer.issue(3600))

    await call(locked_sim, n=3, azure_ad_token_provider=provider)
    # one token for the three calls, fetched on a worker thread, not the event loop's
    assert len(asked) == 1 and asked[0] != threading.main_thread().name
    from llmrelay.providers.azure.token_provider import TokenProviderGrant

    assert TokenProviderGrant(lambda: _jwt(1200)).load().expires_in == pytest.approx(1200, abs=5)
    assert TokenProviderGrant(lambda: "opaque").load().expires_in == 300


async def test_a_failing_or_wrong_token_provider_is_an_authentication_error(
    locked_sim: RunningSimulator,
) -> None:
    def broken() -> str:
        raise RuntimeError("secret-bearing library message")

    with pytest.raises(errors.AuthenticationError, match="azure_ad_token_provider failed: RuntimeError") as e:
        await call(locked_sim, azure_ad_token_provider=broken)
    assert "secret-bearing" not in str(e.value)
    with pytest.raises(errors.AuthenticationError, match="no usable token"):
        await call(locked_sim, azure_ad_token_provider=lambda: None)
    with pytest.raises(errors.BadRequestError, match="is a callable"):
        grant_of(azure_ad_token_provider="not-callable")


def test_a_deployment_names_its_azure_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """`azure_identity` (what litellm_settings.enable_azure_ad_token_refresh sets) is AZURE_CREDENTIAL
    for one deployment, and wins over the variable."""
    assert isinstance(grant_of(azure_identity="DefaultAzureCredential"), ManagedIdentity)
    monkeypatch.setenv("AZURE_CREDENTIAL", "AzureCliCredential")
    assert isinstance(grant_of(azure_identity="ManagedIdentityCredential"), ManagedIdentity)
    from llmrelay.config.loader import parse_config

    document = {
        "model_list": [
            {
                "model_name": "a",
                "litellm_params": {"model": "azure/gpt-4o", "api_base": "https://r.openai.azure.com"},
            },
            {"model_name": "b", "litellm_params": {"model": "openai/gpt-4o"}},
        ],
        "litellm_settings": {"enable_azure_ad_token_refresh": True},
    }
    config = parse_config(document, source="t")
    assert config.warnings == []
    listed = [m["litellm_params"] for m in config.router_kwargs()["model_list"]]
    assert listed[0]["azure_identity"] == "DefaultAzureCredential" and "azure_identity" not in listed[1]
