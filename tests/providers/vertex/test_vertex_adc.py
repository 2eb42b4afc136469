"""Google Application Default Credentials (providers/vertex/adc.py, external.py) against Google's
identity endpoints simulated over their wire formats (llmrelay.testing.google_identity): the metadata
server, gcloud's well-known file (authorized user), workload identity federation (file- and
url-sourced subject tokens, STS, service-account impersonation), impersonated_service_account — each
token then authorizing real calls to the Vertex AI simulator; renewal before expiry; errors that name
what failed and never a token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import llmrelay
from llmrelay.core.credentials import TokenCache
from llmrelay.providers.vertex.adc import GoogleAdc
from llmrelay.testing import RunningSimulator
from llmrelay.testing.aws_identity import fetch_credential
from llmrelay.testing.google_identity import GoogleIdentitySimulator
from llmrelay.testing.serve_app import serve_here
from llmrelay.testing.vertex_sim import VertexSimulator
from llmrelay.transport.http import HttpTransport
from llmrelay.types import errors
from llmrelay.types.response import ChatResponse

USER = [{"role": "user", "content": "What is the capital of France?"}]
MODEL = "vertex_ai/gemini-2.0-flash"
POOL = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/p/providers/k8s"
SUBJECT = "eyJhbGciOiJSUzI1NiJ9.k8s-service-account-token.sig"
ACCOUNT = "relay@proj-1.iam.gserviceaccount.com"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


@pytest.fixture(autouse=True)
def _isolated(no_google_credentials: Path) -> None:
    """No Google credentials but the ones a test gives."""


@pytest.fixture
async def google(vertex_sim: RunningSimulator) -> AsyncIterator[tuple[GoogleIdentitySimulator, str]]:
    """The identity endpoints, issuing tokens the Vertex simulator accepts; yields (simulator, host:port)."""
    vertex = vertex_sim.simulator
    assert isinstance(vertex, VertexSimulator)
    simulator = GoogleIdentitySimulator(accept=vertex.accept_token, subject_tokens={SUBJECT: POOL},
                                        impersonable={ACCOUNT})  # fmt: skip
    async with serve_here(simulator) as host:
        yield simulator, host


def external(host: str, **extra: Any) -> dict[str, Any]:
    return {"type": "external_account", "audience": POOL, "subject_token_type": JWT_TYPE,
            "token_url": f"http://{host}/v1/token", **extra}  # fmt: skip


def impersonation_url(host: str, account: str = ACCOUNT) -> str:
    return f"http://{host}/v1/projects/-/serviceAccounts/{account}:generateAccessToken"


async def call(vertex_sim: RunningSimulator, n: int = 1, **options: Any) -> list[ChatResponse]:
    kwargs = {"api_base": vertex_sim.base_url, "vertex_project": "proj-1", "max_retries": 0, **options}
    async with llmrelay.Client() as client:
        answers = await asyncio.gather(*(client.acompletion(MODEL, USER, **kwargs) for _ in range(n)))
    assert all(isinstance(a, ChatResponse) and a.choices[0].message.content for a in answers)
    return list(answers)


def bearer_tokens(vertex_sim: RunningSimulator) -> set[str]:
    return {r.header("authorization") for r in vertex_sim.requests if r.path.startswith("/v1/projects")}


# ---- the metadata server
async def test_metadata_server_token_serves_concurrent_calls(
    google: tuple[GoogleIdentitySimulator, str], vertex_sim: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sim, host = google
    monkeypatch.setenv("GCE_METADATA_HOST", host)
    await call(vertex_sim, n=4)
    # one token for the four concurrent first calls
    assert sim.issued == ["metadata"]
    (token,) = bearer_tokens(vertex_sim)
    assert token.startswith("Bearer ya29.sim-metadata-")


async def test_a_metadata_answer_without_its_flavor_header_is_refused(
    google: tuple[GoogleIdentitySimulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, host = google
    sim.metadata_flavor = False
    monkeypatch.setenv("GCE_METADATA_HOST", host)
    with pytest.raises(errors.AuthenticationError, match="not a Google metadata server"):
        await fetch_credential(GoogleAdc(metadata_host=host))


async def test_no_gce_check_skips_the_metadata_server(
    google: tuple[GoogleIdentitySimulator, str], vertex_sim: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sim, host = google
    monkeypatch.setenv("GCE_METADATA_HOST", host)
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    with pytest.raises(errors.AuthenticationError, match="no Google credentials"):
        await call(vertex_sim)
    assert sim.issued == []


def test_a_metadata_host_that_is_not_a_host_is_refused() -> None:
    from llmrelay.providers.vertex.adc import metadata_request

    assert metadata_request("10.0.0.1:8080", "s").url.startswith("http://10.0.0.1:8080/computeMetadata/v1/")
    for bad in ("evil.example/x?", "user@host", "host:80/../"):
        with pytest.raises(errors.AuthenticationError, match="GCE_METADATA_HOST"):
            metadata_request(bad, "s")


# ---- gcloud's well-known file
async def test_gcloud_authorized_user_file(
    google: tuple[GoogleIdentitySimulator, str], vertex_sim: RunningSimulator, no_google_credentials: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sim, host = google
    monkeypatch.setenv("GCE_METADATA_HOST", host)  # present, but the file comes first
    sim.refresh_tokens.add(("cid.apps.googleusercontent.com", "gcloud-secret", "1//refresh-token"))
    (no_google_credentials / "application_default_credentials.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "cid.apps.googleusercontent.com",
        "client_secret": "gcloud-secret", "refresh_token": "1//refresh-token",
        "token_uri": f"http://{host}/token",
    }))  # fmt: skip
    await call(vertex_sim, n=2)
    assert sim.issued == ["refresh"]


async def test_an_unreadable_well_known_file_is_reported(no_google_credentials: Path) -> None:
    (no_google_credentials / "application_default_credentials.json").write_text("{not json")
    grant = GoogleAdc(well_known=str(no_google_credentials / "application_default_credentials.json"))
    with pytest.raises(errors.AuthenticationError, match=r"gcloud credentials file .* not valid JSON"):
        await fetch_credential(grant)


# ---- workload identity federation
async def test_file_sourced_external_account_with_impersonation(
    google: tuple[GoogleIdentitySimulator, str], vertex_sim: RunningSimulator, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sim, host = google
    (tmp_path / "token").write_text(SUBJECT + "\n")
    config = external(host, credential_source={"file": str(tmp_path / "token")},
                      service_account_impersonation_url=impersonation_url(host),
                      service_account_impersonation={"token_lifetime_seconds": 1800})  # fmt: skip
    (tmp_path / "wif.json").write_text(json.dumps(config))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "wif.json"))
    await call(vertex_sim, n=3)
    assert sim.issued == ["sts", "impersonation"]
    sts, iam = sim.seen
    assert sts == {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "audience": POOL,
                   "scope": "https://www.googleapis.com/auth/cloud-platform",
                   "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
                   "subject_token_type": JWT_TYPE}  # fmt: skip
    assert iam == {"account": ACCOUNT, "lifetime": "1800"}
    (token,) = bearer_tokens(vertex_sim)
    assert token.startswith("Bearer ya29.sim-impersonation-")


async def test_url_sourced_json_subject_token_with_client_authentication(
    google: tuple[GoogleIdentitySimulator, str], vertex_sim: RunningSimulator
) -> None:
    sim, host = google
    sim.clients["wif-client"] = "wif-secret"
    sim.subject_url_headers = {"Metadata": "True"}
    config = external(host, client_id="wif-client", client_secret="wif-secret", credential_source={
        "url": f"http://{host}/subject-token", "headers": {"Metadata": "True"},
        "format": {"type": "json", "subject_token_field_name": "token"},
    })  # fmt: skip
    await call(vertex_sim, vertex_credentials=config)
    assert sim.issued == ["sts"]
    # a wrong client secret is refused by STS, and never quoted
    sim.clients["wif-client"] = "rotated"
    with pytest.raises(errors.AuthenticationError, match="Google STS refused") as caught:
        await fetch_credential(GoogleAdc(source=json.dumps(config), well_known=None, metadata_host=None))
    assert "wif-secret" not in str(caught.value)


async def test_refusals_name_the_step_and_never_a_token(
    google: tuple[GoogleIdentitySimulator, str], tmp_path: Path
) -> None:
    _, host = google
    (tmp_path / "token").write_text("not-a-known-subject-token")
    unknown = external(host, credential_source={"file": str(tmp_path / "token")})
    with pytest.raises(
        errors.AuthenticationError, match=r"Google STS refused .* invalid or expired"
    ) as caught:
        await fetch_credential(GoogleAdc(source=json.dumps(unknown), well_known=None, metadata_host=None))
    assert "not-a-known-subject-token" not in str(caught.value) and caught.value.code == "invalid_grant"
    (tmp_path / "token").write_text(SUBJECT)
    other = impersonation_url(host, "other@p.iam.gserviceaccount.com")
    denied = external(host, credential_source={"file": str(tmp_path / "token")},
                      service_account_impersonation_url=other)  # fmt: skip
    with pytest.raises(errors.AuthenticationError, match="refused the impersonation: Permission") as caught:
        await fetch_credential(GoogleAdc(source=json.dumps(denied), well_known=None, metadata_host=None))
    assert caught.value.code == "PERMISSION_DENIED" and "ya29" not in str(caught.value)
    missing = external(host, credential_source={"file": str(tmp_path / "absent")})
    with pytest.raises(errors.AuthenticationError, match="subject token file was not read"):
        await fetch_credential(GoogleAdc(source=json.dumps(missing), well_known=None, metadata_host=None))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"token_url": "http://sts.example.com/v1/token"}, "token_url must be an https URL"),
        ({"service_account_impersonation_url": "http://iam.example.com/x"}, "impersonation_url must be"),
        ({"credential_source": {"environment_id": "aws1"}}, "AWS-sourced credentials"),
        ({"credential_source": {"executable": {"command": "x"}}}, "executable-sourced"),
        ({"credential_source": {"file": "/t", "format": {"type": "xml"}}}, 'must be "text" or "json"'),
        ({"credential_source": {"file": "/t", "format": {"type": "json"}}}, "subject_token_field_name"),
        ({"service_account_impersonation": {"token_lifetime_seconds": 10**6}}, "600 to 43200"),
        ({"credential_source": {}}, "neither a file nor a url"),
    ],
)
async def test_external_account_files_are_checked(change: dict[str, Any], match: str) -> None:
    config = {**external("127.0.0.1:9"), "credential_source": {"file": "/t"}, **change}
    with pytest.raises(errors.AuthenticationError, match=match):
        await fetch_credential(GoogleAdc(source=json.dumps(config), well_known=None, metadata_host=None))


async def test_impersonated_service_account_from_an_authorized_user(
    google: tuple[GoogleIdentitySimulator, str], vertex_sim: RunningSimulator
) -> None:
    sim, host = google
    sim.refresh_tokens.add(("cid", "cs", "rt"))
    config = {
        "type": "impersonated_service_account", "delegates": [],
        "service_account_impersonation_url": impersonation_url(host),
        "source_credentials": {"type": "authorized_user", "client_id": "cid", "client_secret": "cs",
                               "refresh_token": "rt", "token_uri": f"http://{host}/token"},
    }  # fmt: skip
    await call(vertex_sim, vertex_credentials=json.dumps(config))
    assert sim.issued == ["refresh", "impersonation"]


# ---- renewal
async def test_tokens_are_renewed_in_the_background_before_they_expire(
    google: tuple[GoogleIdentitySimulator, str],
) -> None:
    sim, host = google
    sim.lifetime = 1000
    now = [0.0]
    transport = HttpTransport()
    cache = TokenCache(lambda r, t: transport.send(r, t), margin=120.0, clock=lambda: now[0])
    grant = GoogleAdc(metadata_host=host)
    try:
        first, fresh = await cache.token(grant)
        assert fresh and sim.issued == ["metadata"]
        now[0] = 700.0  # before the renewal window: the cached token, nothing asked
        assert await cache.token(grant) == (first, False)
        await asyncio.sleep(0.05)
        assert sim.issued == ["metadata"]
        # inside the renewal window (760 to 880: one margin before refresh_at): the cached token still
        # serves, and a refresh starts off the request path
        now[0] = 800.0
        again, fresh = await cache.token(grant)
        assert (again, fresh) == (first, False)
        for _ in range(100):
            if len(sim.issued) == 2:
                break
            await asyncio.sleep(0.01)
        assert sim.issued == ["metadata", "metadata"]
        renewed, fresh = await cache.token(grant)
        assert renewed != first and not fresh
    finally:
        await transport.aclose()


async def test_a_well_known_path_that_cannot_be_read_is_an_authentication_error(
    no_google_credentials: Path,
) -> None:
    # a directory where the file should be: reading it fails with an OSError, reported as such
    (no_google_credentials / "application_default_credentials.json").mkdir()
    grant = GoogleAdc(well_known=str(no_google_credentials / "application_default_credentials.json"))
    with pytest.raises(errors.AuthenticationError, match="cannot read the gcloud credentials file"):
        await fetch_credential(grant)
