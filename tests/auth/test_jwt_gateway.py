"""JWT auth on the whole gateway (build_app, Granian, the OpenAI simulator upstream, SQLite and the
real PostgreSQL), with real RSA / EC / Ed25519 keys served by a real JWKS server: a valid token works
through the official `openai` client and its spend lands on its user and team; every forged or stale
token is the same 401; a rotation is picked up by one refetch; forged key ids cannot hammer the JWKS
server; virtual keys keep working beside tokens; a team's models and a role's routes apply."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import openai
import pytest
from cryptography.hazmat.primitives import serialization
from jwt_helpers import AUDIENCE, ISSUER, JwksServer, SigningKey

from llmrelay.config.loader import parse_config
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.storage.records import NewTeam, NewUser, SpendLogFilter, TeamUpdate
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread

MASTER_KEY = "sk-jwt-test-master"
HELLO = [{"role": "user", "content": "say hello"}]
JWT_SETTINGS = {
    "user_id_jwt_field": "sub",
    "team_id_jwt_field": "client_id",
    "org_id_jwt_field": "org",
    "end_user_id_jwt_field": "customer",
    "user_id_upsert": True,
}


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey("rsa", "rsa-1")


@pytest.fixture(scope="module")
def ec_key() -> SigningKey:
    return SigningKey("ec", "ec-1")


@pytest.fixture
def jwks(rsa_key: SigningKey, ec_key: SigningKey) -> Iterator[JwksServer]:
    with JwksServer([rsa_key, ec_key]).running() as server:
        yield server


def start_gateway(
    database_url: str, sim: RunningSimulator, tmp_path: Path, jwtauth: dict[str, Any] | None = None
) -> GatewayThread:
    models = [
        {"model_name": name, "litellm_params": {"model": f"openai/{name}", "api_base": sim.api_base,
                                                 "api_key": sim.api_key}}
        for name in ("gpt-4o-mini", "gpt-4o")
    ]  # fmt: skip
    document = {
        "model_list": models,
        "general_settings": {
            "master_key": MASTER_KEY, "database_url": database_url,
            "spend_spool_dir": str(tmp_path / "spool"),
            "enable_jwt_auth": True, "litellm_jwtauth": {**JWT_SETTINGS, **(jwtauth or {})},
        },
    }  # fmt: skip
    return GatewayThread(parse_config(document, source="<test>"), name="jwt-gateway").start()


@pytest.fixture
def jwt_env(monkeypatch: pytest.MonkeyPatch, jwks: JwksServer) -> JwksServer:
    monkeypatch.setenv("JWT_PUBLIC_KEY_URL", jwks.url)
    monkeypatch.setenv("JWT_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("JWT_ISSUER", ISSUER)
    return jwks


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path, jwt_env: JwksServer
) -> Iterator[GatewayThread]:
    gw = start_gateway(database_url, openai_sim, tmp_path)
    try:
        gw.run(gw.storage().teams.create(NewTeam(team_id="team-a", models=["gpt-4o-mini"])))
        yield gw
    finally:
        gw.stop()


def runtime_of(gw: GatewayThread) -> KeysRuntime:
    runtime = gw.app.state.services[0]
    assert isinstance(runtime, KeysRuntime)
    return runtime


async def chat(gw: GatewayThread, token: str, model: str = "gpt-4o-mini") -> Any:
    async with openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=token, max_retries=0) as client:
        return await client.chat.completions.create(model=model, messages=HELLO)  # type: ignore[arg-type]


async def raw(
    gw: GatewayThread, token: str, path: str = "/v1/chat/completions", body: Any = None
) -> tuple[int, Any]:
    body = body if body is not None else {"model": "gpt-4o-mini", "messages": HELLO}
    async with aiohttp.ClientSession(gw.base_url) as http:
        method = "GET" if path.startswith(("/key/list", "/v1/models")) else "POST"
        headers = {"authorization": f"Bearer {token}"}
        async with http.request(method, path, json=body if method == "POST" else None, headers=headers) as r:
            return r.status, await r.json()


async def test_a_valid_token_calls_through_the_openai_client_and_its_spend_names_user_and_team(
    gateway: GatewayThread, rsa_key: SigningKey, ec_key: SigningKey
) -> None:
    for key in (rsa_key, ec_key):
        answer = await chat(gateway, key.token(sub="alice", client_id="team-a", customer="acme"))
        assert answer.choices[0].message.content
    runtime = runtime_of(gateway)
    assert runtime.writer is not None
    gateway.run(runtime.writer.flush())
    logs = gateway.run(gateway.storage().spend.logs(SpendLogFilter(team_id="team-a")))
    assert len(logs) == 2
    assert {(log.user_id, log.team_id, log.end_user, log.key_hash) for log in logs} == {
        ("alice", "team-a", "acme", None)
    }
    team = gateway.run(gateway.storage().teams.get("team-a"))
    user = gateway.run(gateway.storage().users.get("alice"))  # created by user_id_upsert
    assert team.spend_micros > 0 and user is not None and user.spend_micros == team.spend_micros


def forged_tokens(rsa_key: SigningKey) -> dict[str, str]:
    now = int(time.time())
    good = rsa_key.token(sub="alice", client_id="team-a")
    head, payload, signature = good.split(".")
    public_pem = rsa_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"sub": "alice", "client_id": "team-a", "aud": AUDIENCE, "iss": ISSUER, "exp": now + 300}

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    tampered = b64({**claims, "sub": "mallory"})
    # the HS/RS confusion: HS256 keyed with the RSA public key the JWKS publishes
    hs_signing = b64({"alg": "HS256", "typ": "JWT", "kid": rsa_key.kid}) + "." + b64(claims)
    mac = hmac.new(public_pem, hs_signing.encode(), hashlib.sha256).digest()
    hs_token = hs_signing + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    return {
        "expired": rsa_key.token(sub="alice", client_id="team-a", exp=now - 3600, iat=now - 7200),
        "not yet valid": rsa_key.token(sub="alice", client_id="team-a", nbf=now + 3600),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, rsa_key.private,
                                algorithm="RS256", headers={"kid": rsa_key.kid}),
        "wrong audience": rsa_key.token(sub="alice", client_id="team-a", aud="someone-else"),
        "wrong issuer": rsa_key.token(sub="alice", client_id="team-a", iss="https://evil.test"),
        "alg none": b64({"alg": "none", "typ": "JWT", "kid": rsa_key.kid}) + "." + b64(claims) + ".",
        "HS256 with the RSA public key": hs_token,
        "unknown kid": SigningKey("rsa", "never-published").token(sub="alice", client_id="team-a"),
        "tampered payload": f"{head}.{tampered}.{signature}",
        "tampered signature": f"{head}.{payload}.{signature[:-4]}AAAA",
        "ES256 named on the RSA key": b64({"alg": "ES256", "kid": rsa_key.kid}) + f".{payload}.{signature}",
    }  # fmt: skip


async def test_every_forged_or_stale_token_is_the_same_401_naming_nothing(
    gateway: GatewayThread, rsa_key: SigningKey
) -> None:
    for name, token in forged_tokens(rsa_key).items():
        status, body = await raw(gateway, token)
        assert status == 401, (name, body)
        error = body["error"]
        assert error["message"] == "AuthenticationError: invalid token", name
        assert error["code"] == "invalid_jwt" and error["type"] == "authentication_error", name
    # the openai client sees an AuthenticationError too
    with pytest.raises(openai.AuthenticationError):
        await chat(gateway, forged_tokens(rsa_key)["expired"])
    assert (await chat(gateway, rsa_key.token(sub="alice", client_id="team-a"))).choices


async def test_a_rotated_key_is_fetched_once_and_a_dropped_key_stops_working(
    gateway: GatewayThread, jwt_env: JwksServer, rsa_key: SigningKey
) -> None:
    await chat(gateway, rsa_key.token(sub="alice", client_id="team-a"))
    fetched = jwt_env.fetches
    rotated = SigningKey("rsa", "rsa-2")
    jwt_env.keys = [rotated]  # the provider rotates: rsa-1 (and ec-1) retired
    answer = await chat(gateway, rotated.token(sub="alice", client_id="team-a"))
    assert answer.choices[0].message.content
    assert jwt_env.fetches == fetched + 1
    status, _ = await raw(gateway, rsa_key.token(sub="alice", client_id="team-a"))
    assert status == 401


async def test_a_flood_of_forged_key_ids_costs_the_jwks_server_one_fetch(
    gateway: GatewayThread, jwt_env: JwksServer
) -> None:
    fetched = jwt_env.fetches
    forged = [SigningKey("ec", f"forged-{i}").token(sub="x", client_id="team-a") for i in range(15)]
    statuses = await asyncio.gather(*(raw(gateway, token) for token in forged))
    assert {status for status, _ in statuses} == {401}
    assert jwt_env.fetches - fetched <= 1


async def test_virtual_keys_and_the_master_key_keep_working_beside_tokens(gateway: GatewayThread) -> None:
    status, made = await raw(gateway, MASTER_KEY, "/key/generate", {"models": ["gpt-4o"]})
    assert status == 200
    assert (await chat(gateway, made["key"], model="gpt-4o")).choices[0].message.content
    assert (await chat(gateway, MASTER_KEY)).choices[0].message.content


async def test_the_team_decides_models_and_must_exist(gateway: GatewayThread, rsa_key: SigningKey) -> None:
    with pytest.raises(openai.AuthenticationError) as denied:
        await chat(gateway, rsa_key.token(sub="alice", client_id="team-a"), model="gpt-4o")
    assert "gpt-4o-mini" in denied.value.message
    status, body = await raw(gateway, rsa_key.token(sub="alice", client_id="no-such-team"))
    assert status == 401 and body["error"]["code"] == "jwt_unknown"


async def test_each_role_calls_only_its_routes(gateway: GatewayThread, rsa_key: SigningKey) -> None:
    team_token = rsa_key.token(sub="alice", client_id="team-a")
    status, body = await raw(gateway, team_token, "/key/generate", {})
    assert status == 403 and body["error"]["code"] == "route_not_allowed"
    admin = rsa_key.token(sub="root", scope="openid litellm_proxy_admin")
    status, body = await raw(gateway, admin, "/key/list")
    assert status == 200, body
    # LiteLLM's default admin routes are management, spend and info: not the model routes
    status, body = await raw(gateway, admin)
    assert status == 403
    # a token naming no user, team or admin scope: public routes only
    status, body = await raw(gateway, rsa_key.token(email="x@y.z"))
    assert status == 403


async def test_team_upsert_creates_the_team(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path, jwt_env: JwksServer,
    rsa_key: SigningKey,
) -> None:  # fmt: skip
    gw = start_gateway(database_url, openai_sim, tmp_path, {"team_id_upsert": True})
    try:
        # the first tokens of a new identity, at once: one read creates team and user, all answered
        token = rsa_key.token(sub="bob", client_id="new-team")
        answers = await asyncio.gather(*(chat(gw, token) for _ in range(5)))
        assert all(a.choices for a in answers)
        assert gw.run(gw.storage().teams.get("new-team")) is not None
        assert gw.run(gw.storage().users.get("bob")) is not None
        gw.run(gw.storage().users.create(NewUser(user_id="blocked-user", blocked=True)))
        status, body = await raw(gw, rsa_key.token(sub="blocked-user", client_id="new-team"))
        assert status == 401 and "blocked" in body["error"]["message"]
    finally:
        gw.stop()


async def test_the_team_rows_govern_tokens_and_changes_apply_at_once(
    gateway: GatewayThread, rsa_key: SigningKey
) -> None:
    token = rsa_key.token(sub="alice", client_id="team-a")
    teams = gateway.storage().teams
    await chat(gateway, token)  # the team's rows are now held in memory
    gateway.run(teams.update("team-a", TeamUpdate(models=["gpt-4o"])))
    assert (await chat(gateway, token, model="gpt-4o")).choices  # the new model list, at once
    gateway.run(teams.update("team-a", TeamUpdate(max_budget_micros=1)))
    with pytest.raises(openai.BadRequestError) as over:  # the calls so far used more than that
        await chat(gateway, token, model="gpt-4o")
    assert "budget" in over.value.message.lower()
    gateway.run(teams.update("team-a", TeamUpdate(max_budget_micros=None, blocked=True)))
    status, body = await raw(gateway, token, body={"model": "gpt-4o", "messages": HELLO})
    assert status == 401 and "team is blocked" in body["error"]["message"]
