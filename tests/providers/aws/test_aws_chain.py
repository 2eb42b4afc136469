"""The AWS credentials chain (llmrelay.providers.aws.chain) against AWS's identity endpoints, simulated
over their wire formats (llmrelay.testing.aws_identity): STS AssumeRole (SigV4-signed) and
AssumeRoleWithWebIdentity, ECS container credentials, EC2 instance metadata (IMDSv2); the keys each
issues then sign real calls to the Bedrock simulator."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from llmrelay.client import Client
from llmrelay.core.credentials import TokenCache
from llmrelay.providers.aws.chain import AwsChain, resolve
from llmrelay.providers.bedrock import BedrockProvider
from llmrelay.providers.grants import SigningKeys
from llmrelay.testing import RunningSimulator
from llmrelay.testing.aws_identity import AwsIdentitySimulator, fetch_credential, start_aws_identity
from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from llmrelay.transport.http import HttpTransport
from llmrelay.types import errors
from llmrelay.types.deployment import Deployment
from llmrelay.types.response import ChatResponse

ROLE = "arn:aws:iam::123456789012:role/bedrock-caller"
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.web-identity-token.sig"
MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
USER = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(autouse=True)
def _isolated(no_aws_credentials: Path) -> None:
    """No AWS credentials but the ones a test gives."""


@pytest.fixture
async def identity(bedrock_sim: RunningSimulator) -> AsyncIterator[tuple[AwsIdentitySimulator, str]]:
    """The identity endpoints, issuing keys the Bedrock simulator accepts."""
    keys: dict[str, str] = bedrock_sim.simulator.aws_keys  # type: ignore[attr-defined]
    before = dict(keys)
    simulator = AwsIdentitySimulator(aws_keys=keys, roles={ROLE}, web_tokens={WEB_TOKEN: ROLE})
    async with start_aws_identity(simulator) as base:
        yield simulator, base
    keys.clear()
    keys.update(before)


def dep(**options: Any) -> Deployment:
    return Deployment(provider="bedrock", model=MODEL, options={"aws_region_name": REGION, **options})


def chain(**options: Any) -> AwsChain:
    found = resolve(dep(**options), "bedrock", REGION)
    assert isinstance(found, AwsChain)
    return found


async def call(options: dict[str, Any], bedrock_sim: RunningSimulator, n: int = 1) -> list[ChatResponse]:
    kwargs = {"aws_region_name": REGION, "api_base": bedrock_sim.api_base, "max_retries": 0, **options}
    async with Client() as client:
        answers = await asyncio.gather(
            *(client.acompletion(f"bedrock/{MODEL}", USER, **kwargs) for _ in range(n))
        )
    assert all(isinstance(a, ChatResponse) and a.choices[0].message.content for a in answers)
    return list(answers)


# ---- what needs no flow
def test_keys_given_outright_sign_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = resolve(dep(aws_access_key_id="AKIA1", aws_secret_access_key="s1"), "bedrock", REGION)
    assert keys == SigningKeys("AKIA1", "s1", None, region=REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    assert resolve(dep(), "bedrock", REGION) == SigningKeys("AKIAENV", "env-secret", None, region=REGION)
    # a role or a profile named by the deployment wins over the environment's keys
    assert isinstance(resolve(dep(aws_role_name=ROLE), "bedrock", REGION), AwsChain)
    assert isinstance(resolve(dep(aws_profile_name="team"), "bedrock", REGION), AwsChain)


def test_a_chain_shows_and_keys_no_secret() -> None:
    found = chain(aws_access_key_id="AKIA1", aws_secret_access_key="s3cr3t-src", aws_role_name=ROLE,
                  aws_web_identity_token=WEB_TOKEN)  # fmt: skip
    for shown in (repr(found), found.cache_key):
        assert "s3cr3t-src" not in shown and WEB_TOKEN not in shown
    assert re.fullmatch(r"aws-chain:[0-9a-f]{32}", found.cache_key)
    # another role, another cache entry
    assert chain(aws_role_name=ROLE).cache_key != chain(aws_role_name=ROLE + "2").cache_key


# ---- STS
async def test_assume_role_signed_by_the_deployment_keys(
    identity: tuple[AwsIdentitySimulator, str], bedrock_sim: RunningSimulator
) -> None:
    sim, base = identity
    options = {"aws_access_key_id": ACCESS_KEY_ID, "aws_secret_access_key": SECRET_ACCESS_KEY,
               "aws_role_name": ROLE, "aws_session_name": "gateway", "aws_sts_endpoint": base}  # fmt: skip
    # concurrent first calls share one AssumeRole; each request is signed with the role's keys
    await call(options, bedrock_sim, n=4)
    assert sim.issued == ["AssumeRole"]
    signed_by = {
        r.headers["authorization"].split("Credential=")[1].split("/")[0] for r in bedrock_sim.requests
    }
    assert len(signed_by) == 1 and signed_by.pop().startswith("ASIA")
    assert all("x-amz-security-token" in r.headers for r in bedrock_sim.requests)


async def test_assume_role_refused_is_an_authentication_error(
    identity: tuple[AwsIdentitySimulator, str],
) -> None:
    _, base = identity
    refused = chain(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                    aws_role_name=ROLE + "-other", aws_sts_endpoint=base)  # fmt: skip
    with pytest.raises(errors.AuthenticationError, match="AssumeRole refused: AccessDenied"):
        await fetch_credential(refused)
    forged = chain(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key="wrong-secret", aws_role_name=ROLE,
                   aws_sts_endpoint=base)  # fmt: skip
    with pytest.raises(errors.AuthenticationError, match="SignatureDoesNotMatch") as caught:
        await fetch_credential(forged)
    assert "wrong-secret" not in str(caught.value)


async def test_web_identity_token_from_the_deployment(
    identity: tuple[AwsIdentitySimulator, str], bedrock_sim: RunningSimulator
) -> None:
    sim, base = identity
    await call(
        {"aws_role_name": ROLE, "aws_web_identity_token": WEB_TOKEN, "aws_sts_endpoint": base}, bedrock_sim
    )
    assert sim.issued == ["AssumeRoleWithWebIdentity"]
    bad = chain(aws_role_name=ROLE, aws_web_identity_token="not-a-token", aws_sts_endpoint=base)
    with pytest.raises(errors.AuthenticationError, match="InvalidIdentityToken") as caught:
        await fetch_credential(bad)
    assert "not-a-token" not in str(caught.value)


async def test_irsa_web_identity_from_the_environment_then_assume_role(
    identity: tuple[AwsIdentitySimulator, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    bedrock_sim: RunningSimulator,
) -> None:  # fmt: skip
    sim, base = identity
    token_file = tmp_path / "token"
    token_file.write_text(WEB_TOKEN + "\n")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", base)
    await call({}, bedrock_sim)
    assert sim.issued == ["AssumeRoleWithWebIdentity"]
    # another role: the web identity's keys sign the AssumeRole
    sim.roles.add(ROLE + "-cross")
    await call({"aws_role_name": ROLE + "-cross"}, bedrock_sim)
    assert sim.issued[1:] == ["AssumeRoleWithWebIdentity", "AssumeRole"]


async def test_sts_answers_are_bounded_and_never_expand_entities() -> None:
    from llmrelay.providers.aws.answers import sts_credentials

    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(errors.InternalServerError, match="document type"):
        sts_credentials(200, bomb, "AssumeRole", 0.0, REGION, provider="bedrock")
    with pytest.raises(errors.InternalServerError, match="more than"):
        sts_credentials(200, b"<x>" + b"a" * 70_000 + b"</x>", "AssumeRole", 0.0, REGION, provider="bedrock")
    with pytest.raises(errors.InternalServerError, match="without Credentials"):
        sts_credentials(200, b"<AssumeRoleResponse/>", "AssumeRole", 0.0, REGION, provider="bedrock")


# ---- container and instance metadata
async def test_container_credentials_with_a_token_file(
    identity: tuple[AwsIdentitySimulator, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    bedrock_sim: RunningSimulator,
) -> None:  # fmt: skip
    sim, base = identity
    sim.container_token = "container-auth-token"
    (tmp_path / "auth").write_text("container-auth-token")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", base + "/v2/credentials/task-1")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(tmp_path / "auth"))
    await call({}, bedrock_sim)
    assert sim.issued == ["container"]
    (tmp_path / "auth").write_text("wrong")
    with pytest.raises(errors.AuthenticationError, match="container credentials endpoint answered HTTP 401"):
        await fetch_credential(chain())


def test_container_urls_aws_would_not_call_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmrelay.providers.aws import requests

    request = requests.container("/v2/credentials/abc", None, None, provider="bedrock")
    assert request.url == "http://169.254.170.2/v2/credentials/abc" and request.method == "GET"
    for url in ("http://169.254.170.23/x", "http://127.0.0.1:9/x", "https://creds.example/x"):
        assert requests.container(None, url, "t", provider="bedrock").headers["authorization"] == "t"
    with pytest.raises(errors.AuthenticationError, match="must be https"):
        requests.container(None, "http://evil.example/x", None, provider="bedrock")


async def test_instance_metadata_imdsv2(
    identity: tuple[AwsIdentitySimulator, str], monkeypatch: pytest.MonkeyPatch, bedrock_sim: RunningSimulator
) -> None:
    sim, base = identity
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "false")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", base)
    await call({}, bedrock_sim, n=3)
    assert sim.issued == ["imds"]
    role_path = "/latest/meta-data/iam/security-credentials/"
    assert sim.calls == ["PUT /latest/api/token", f"GET {role_path}", f"GET {role_path}{sim.instance_role}"]


async def test_no_source_left_names_what_was_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    # instance metadata on, but nothing listens there: given up within its timeout
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "false")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2")
    with pytest.raises(errors.AuthenticationError, match="no AWS credentials for bedrock: tried") as caught:
        await fetch_credential(chain())
    assert "EC2 instance metadata" in str(caught.value)


# ---- refresh before expiry, off the request path
async def test_temporary_keys_are_refreshed_once_before_they_expire(
    identity: tuple[AwsIdentitySimulator, str],
) -> None:
    sim, base = identity
    sim.lifetime = 900  # the refresh margin is min(120 s, half the lifetime)
    now = [1000.0]
    transport = HttpTransport()
    cache = TokenCache(lambda request, timeout: transport.send(request, timeout), clock=lambda: now[0])
    grant = chain(aws_role_name=ROLE, aws_web_identity_token=WEB_TOKEN, aws_sts_endpoint=base)
    try:
        first = await asyncio.gather(*(cache.token(grant) for _ in range(5)))
        assert len({token for token, _ in first}) == 1 and sim.issued == ["AssumeRoleWithWebIdentity"]
        now[0] += 900 - 121  # still more than the margin left: kept
        assert (await cache.token(grant))[1] is False and len(sim.issued) == 1
        now[0] += 2  # within the margin: one refresh for all the calls that need it
        again = await asyncio.gather(*(cache.token(grant) for _ in range(5)))
        assert len({token for token, _ in again}) == 1 and again[0][0] != first[0][0]
        assert len(sim.issued) == 2
    finally:
        await transport.aclose()


def web_identity_options(bedrock_sim: RunningSimulator, sts: str) -> dict[str, Any]:
    return {"aws_region_name": REGION, "api_base": bedrock_sim.api_base, "max_retries": 0,
            "aws_role_name": ROLE, "aws_web_identity_token": WEB_TOKEN, "aws_sts_endpoint": sts}  # fmt: skip


@pytest.mark.parametrize("stream", [False, True])
async def test_keys_refused_as_expired_are_fetched_again_once(
    identity: tuple[AwsIdentitySimulator, str], bedrock_sim: RunningSimulator, stream: bool
) -> None:
    """AWS answers a session token past its expiry with a 403 ExpiredTokenException, not a 401: the
    cached keys are dropped and the call signed once more with fresh ones (it failed before)."""
    sim, base = identity
    options = web_identity_options(bedrock_sim, base)
    expired: set[str] = bedrock_sim.simulator.expired_keys  # type: ignore[attr-defined]
    async with Client() as client:
        await client.acompletion(f"bedrock/{MODEL}", USER, **options)
        assert len(sim.issued) == 1
        expired.update(k for k in bedrock_sim.simulator.aws_keys if k.startswith("ASIA"))  # type: ignore[attr-defined]
        answer = await client.acompletion(f"bedrock/{MODEL}", USER, stream=stream, **options)
        if stream:
            chunks = [chunk async for chunk in answer]
            assert any(c.choices and c.choices[0].delta.content for c in chunks)
        else:
            assert answer.choices[0].message.content
        assert len(sim.issued) == 2  # one fetch for the refused keys, not one per attempt
    expired.clear()


async def test_an_access_denied_403_is_not_sent_again(
    identity: tuple[AwsIdentitySimulator, str], bedrock_sim: RunningSimulator
) -> None:
    """A 403 that is not about stale keys (a wrong signature, access denied) is the caller's error at
    once: fetching keys again would not change it."""
    sim, base = identity
    options = web_identity_options(bedrock_sim, base)
    keys: dict[str, str] = bedrock_sim.simulator.aws_keys  # type: ignore[attr-defined]
    async with Client() as client:
        await client.acompletion(f"bedrock/{MODEL}", USER, **options)
        for key in [k for k in keys if k.startswith("ASIA")]:
            keys[key] = "another-secret"  # every signature now fails: InvalidSignatureException
        with pytest.raises(errors.LLMError):
            await client.acompletion(f"bedrock/{MODEL}", USER, **options)
    assert len(sim.issued) == 1


async def test_no_secret_is_logged(
    identity: tuple[AwsIdentitySimulator, str],
    caplog: pytest.LogCaptureFixture,
    bedrock_sim: RunningSimulator,
) -> None:
    _, base = identity
    caplog.set_level(logging.DEBUG)
    options = {"aws_access_key_id": ACCESS_KEY_ID, "aws_secret_access_key": SECRET_ACCESS_KEY,
               "aws_role_name": ROLE, "aws_sts_endpoint": base}  # fmt: skip
    await call(options, bedrock_sim)
    issued = [k for k in bedrock_sim.simulator.aws_keys if k.startswith("ASIA")]  # type: ignore[attr-defined]
    secrets = [SECRET_ACCESS_KEY, *(bedrock_sim.simulator.aws_keys[k] for k in issued)]  # type: ignore[attr-defined]
    assert not any(s in caplog.text for s in secrets)


def test_bedrock_signs_with_the_chain_keys() -> None:
    adapter = BedrockProvider()
    deployment = dep(aws_role_name=ROLE)
    assert isinstance(adapter.token_grant(deployment), AwsChain)
    http = adapter.prepare_chat(adapter.check_params(_chat(), False), deployment)
    signed = adapter.authorize(http, SigningKeys("ASIATEMP", "temp-secret", "temp-token", region=REGION))
    assert "Credential=ASIATEMP/" in signed.headers["authorization"]
    assert signed.headers["x-amz-security-token"] == "temp-token"


def _chat() -> Any:
    import msgspec

    from llmrelay.types.chat import ChatRequest

    return msgspec.convert({"model": f"bedrock/{MODEL}", "messages": USER}, ChatRequest)


async def test_a_profile_signs_the_assume_role(
    identity: tuple[AwsIdentitySimulator, str], no_aws_credentials: Path, bedrock_sim: RunningSimulator
) -> None:
    sim, base = identity
    (no_aws_credentials / "credentials").write_text(
        f"[team]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
    await call({"aws_profile_name": "team", "aws_role_name": ROLE, "aws_sts_endpoint": base}, bedrock_sim)
    assert sim.issued == ["AssumeRole"]
    signed_by = {r.headers["authorization"].split("Credential=")[1][:4] for r in bedrock_sim.requests}
    assert signed_by == {"ASIA"}


def test_role_settings_without_a_role_are_refused() -> None:
    for name in ("aws_session_name", "aws_external_id"):
        with pytest.raises(errors.BadRequestError, match="needs aws_role_name") as caught:
            resolve(dep(**{name: "x"}), "bedrock", REGION)
        assert caught.value.param == name


def test_sts_answers_without_the_namespace_are_read_too() -> None:
    from llmrelay.providers.aws.answers import sts_credentials

    plain = (
        b"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAPLAIN</AccessKeyId>"
        b"<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
        b"<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
    )
    issued = sts_credentials(200, plain, "AssumeRole", 1_800_000_000.0, REGION, provider="bedrock")
    assert isinstance(issued.token, SigningKeys) and issued.token.access_key == "ASIAPLAIN"
    assert issued.expires_in == pytest.approx(1_893_456_000 - 1_800_000_000)
    error = b"<ErrorResponse><Error><Code>ExpiredToken</Code><Message>x</Message></Error></ErrorResponse>"
    with pytest.raises(errors.AuthenticationError, match="ExpiredToken"):
        sts_credentials(400, error, "AssumeRole", 0.0, REGION, provider="bedrock")
