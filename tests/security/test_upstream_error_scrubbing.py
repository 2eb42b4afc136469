"""Upstream error text is scrubbed where it enters the process: a key the upstream echoes, a
connection string, internal addresses and the deployment's own secrets never reach the client's
error body, /health, the spend logs, the call log or the traces."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from sqlalchemy import select

from llmrelay.config.loader import parse_config
from llmrelay.core.scrub import Scrubber
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.router import Router
from llmrelay.storage import Database
from llmrelay.storage.schema import spend_logs
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import GatewayThread
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import APIConnectionError, AuthenticationError

if TYPE_CHECKING:
    from llmrelay.testing.otlp_receiver import OtlpReceiver

MASTER_KEY = "sk-scrub-master-key-000"
CONFIGURED_KEY = "configured-upstream-key-7f3a9c"  # no known shape: only its exact value gives it away
ECHOED_KEY = "sk-proj-LEAKEDabcdef0123456789"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


# ---- the scrubber alone


@pytest.mark.parametrize(
    ("leak", "kept"),
    [
        ("Incorrect API key provided: sk-proj-abcd1234efgh5678. Find it at", "Incorrect API key provided:"),
        ("invalid x-api-key sk-ant-api03-AAAAbbbbCCCCdddd", "invalid x-api-key"),
        ("API key not valid: AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv", "API key not valid:"),
        ("The security token AKIAIOSFODNN7EXAMPLE is invalid", "The security token"),
        ("Authorization: Bearer abc.def-ghi_jkl~123", "Authorization: Bearer"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl expired", "expired"),
        ("oauth ya29.a0AfH6SMBxyz-123456789 refused", "refused"),
        ("hf_AbCdEfGhIjKlMnOpQrSt is not allowed", "is not allowed"),
        ("db error: postgres://admin:hunter2@db.example.com:5432/app", "postgres://"),
        ("fetch https://host.example/v1?key=plainsecret&alt=sse", "alt=sse"),
        ("upstream http://10.0.3.7:8000/v1/chat/completions failed", "failed"),
        ("connect to 192.168.1.20:5432 refused, localhost:6379 too", "refused"),
    ],
)
def test_each_leak_shape_is_scrubbed(leak: str, kept: str) -> None:
    text = Scrubber().text(leak)
    assert "[redacted]" in text or "[upstream]" in text or "[internal address]" in text
    assert kept in text
    for secret in ("abcd1234", "AAAAbbbb", "AIzaSy", "AKIAIOSF", "abc.def", "eyJhbGci", "ya29.a0", "hf_AbCd",
                   "hunter2", "plainsecret", "10.0.3.7", "192.168.1.20", "localhost:6379"):  # fmt: skip
        assert secret not in text


def test_the_deployments_own_secrets_and_host_are_scrubbed() -> None:
    deployment = Deployment(
        provider="bedrock",
        model="m",
        api_key=CONFIGURED_KEY,
        api_base="https://llm-gw.corp.example:8443/v1",
        extra_headers={"x-internal-auth": "header-secret-value"},
        options={"aws_secret_access_key": AWS_SECRET, "aws_region_name": "us-east-1",
                 "vertex_credentials": json.dumps({"private_key": "-----BEGIN KEY-----abc",
                                                   "project_id": "p"})},
    )  # fmt: skip
    scrubber = Scrubber.for_deployment(deployment)
    text = scrubber.text(
        f"key {CONFIGURED_KEY} secret {AWS_SECRET} header header-secret-value pk -----BEGIN KEY-----abc "
        "at https://llm-gw.corp.example:8443/v1/x and llm-gw.corp.example:8443 in us-east-1 project p"
    )
    for secret in (CONFIGURED_KEY, AWS_SECRET, "header-secret-value", "BEGIN KEY", "llm-gw.corp.example"):
        assert secret not in text
    # what is not secret stays readable
    assert "us-east-1" in text and "project p" in text


def test_an_error_is_scrubbed_in_place() -> None:
    body = {"error": {"message": ECHOED_KEY}}
    error = AuthenticationError(f"bad key {ECHOED_KEY}", code=ECHOED_KEY, body=body)
    Scrubber().error(error)
    assert ECHOED_KEY not in str(error) and ECHOED_KEY not in repr(error.args)
    assert ECHOED_KEY not in json.dumps(error.to_openai_body()) and ECHOED_KEY not in json.dumps(error.body)


# ---- through the router: non-stream, stream and connection errors


@pytest.fixture
def router(openai_sim: RunningSimulator) -> Iterator[Router]:
    params = {"model": "openai/gpt-4o-mini", "api_base": openai_sim.api_base, "api_key": CONFIGURED_KEY}
    router = Router([{"model_name": "gpt", "litellm_params": params}])
    yield router
    router.close()


LEAK = (
    f"Incorrect API key provided: {ECHOED_KEY}; your key {CONFIGURED_KEY}; "
    "pool postgres://admin:hunter2@db.internal:5432/app via http://10.0.3.7:8000/v1"
)
SECRETS = (ECHOED_KEY, CONFIGURED_KEY, "hunter2", "10.0.3.7")


def _clean(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


@pytest.mark.parametrize("status", [401, 500])
async def test_a_leaking_upstream_error_reaches_the_caller_scrubbed(
    router: Router, openai_sim: RunningSimulator, status: int
) -> None:
    openai_sim.faults.set(status=status, message=LEAK)
    with pytest.raises(Exception) as info:
        await router.acompletion("gpt", [{"role": "user", "content": "hi"}])
    assert _clean(str(info.value)) and "Incorrect API key provided" in str(info.value)
    assert all(_clean(str(entry["last_error"])) for entry in router.health())


async def test_a_leaking_in_stream_error_is_scrubbed(router: Router, openai_sim: RunningSimulator) -> None:
    openai_sim.faults.set(error_after=3, message=LEAK)
    with pytest.raises(Exception) as info:
        stream = await router.acompletion(
            "gpt", [{"role": "user", "content": "one two three four five six"}], stream=True
        )
        async for _ in stream:  # type: ignore[union-attr]
            pass
    assert "Incorrect API key provided" in str(info.value) and _clean(str(info.value))


async def test_connection_errors_name_no_host() -> None:
    router = Router(
        [{"model_name": "gone", "litellm_params": {"model": "openai/gpt-4o-mini",
                                                   "api_base": "http://127.0.0.1:9/v1", "api_key": "k"}}],
    )  # fmt: skip
    try:
        with pytest.raises(APIConnectionError) as info:
            await router.acompletion("gone", [{"role": "user", "content": "hi"}])
    finally:
        await router.aclose()
    assert "127.0.0.1" not in str(info.value) and ":9" not in str(info.value)
    assert "cannot reach the upstream" in str(info.value)


# ---- every exit of the gateway


@pytest.fixture
def collector() -> Iterator[OtlpReceiver]:
    pytest.importorskip("opentelemetry.sdk")
    from llmrelay.testing.otlp_receiver import OtlpReceiver

    with OtlpReceiver() as receiver:
        yield receiver


async def test_every_exit_of_the_gateway_sees_scrubbed_text(
    openai_sim: RunningSimulator, database_url: str, db: Database, tmp_path: Path, collector: OtlpReceiver
) -> None:
    call_log = tmp_path / "calls.jsonl"
    params = {"model": "openai/gpt-4o-mini", "api_base": openai_sim.api_base, "api_key": CONFIGURED_KEY}
    document: dict[str, Any] = {
        "model_list": [{"model_name": "gpt", "litellm_params": params}],
        "litellm_settings": {"callbacks": ["json_log", "otel"],
                             "callback_settings": {"json_log": {"path": str(call_log)},
                                                   "otel": {"endpoint": collector.base_url}}},
        "general_settings": {"master_key": MASTER_KEY, "database_url": database_url,
                             "spend_spool_dir": str(tmp_path / "spool"), "proxy_batch_write_at": 3600},
    }  # fmt: skip
    gateway = GatewayThread(parse_config(document, source="test")).start()
    headers = {"authorization": f"Bearer {MASTER_KEY}"}

    async def exits() -> tuple[str, str]:
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.post(
                f"{gateway.base_url}/v1/chat/completions",
                json={"model": "gpt", "messages": [{"role": "user", "content": "hi"}]},
            ) as resp:
                assert resp.status == 401
                client_body = await resp.text()
            async with session.get(f"{gateway.base_url}/health") as resp:
                health = await resp.text()
        return client_body, health

    try:
        openai_sim.faults.set(status=401, message=LEAK)
        client_body, health = await exits()
        runtime = next(s for s in gateway.app.state.services if isinstance(s, KeysRuntime))
        assert runtime.writer is not None
        gateway.run(runtime.writer.flush())
    finally:
        gateway.stop()
    # the gateway is closed: its sinks flushed on the way out
    spans = collector.wait_spans(1)
    traced = json.dumps([{"status": span.status_message, **span.attributes} for span in spans], default=str)

    async with db.connect() as conn:
        errors = [str(row[0]) for row in (await conn.execute(select(spend_logs.c.error))).all()]
    logged = call_log.read_text()
    assert "Incorrect API key provided" in client_body and _clean(client_body)
    assert "Incorrect API key provided" in health and _clean(health)
    assert errors and all("Incorrect API key provided" in e and _clean(e) for e in errors)
    assert "Incorrect API key provided" in logged and _clean(logged)
    assert "Incorrect API key provided" in traced and _clean(traced)
    assert not re.search(r"127\.0\.0\.1:\d+/v1", json.loads(client_body)["error"]["message"])


async def test_a_stream_relayed_raw_ends_with_a_scrubbed_error(openai_sim: RunningSimulator) -> None:
    params = {"model": "openai/gpt-4o-mini", "api_base": openai_sim.api_base, "api_key": CONFIGURED_KEY}
    document: dict[str, Any] = {"model_list": [{"model_name": "gpt", "litellm_params": params}]}
    gateway = GatewayThread(parse_config(document, source="test")).start()
    # events apart in time: the first is relayed before the error arrives, which then comes as the
    # stream's last event, out of the raw relay
    openai_sim.faults.set(error_after=3, chunk_delay=0.05, message=LEAK)
    messages = [{"role": "user", "content": "one two three four five six"}]
    body = {"model": "gpt", "stream": True, "messages": messages}
    url = f"{gateway.base_url}/v1/chat/completions"
    try:
        async with aiohttp.ClientSession() as session, session.post(url, json=body) as resp:
            assert resp.status == 200
            relayed = await resp.text()
    finally:
        gateway.stop()
    assert "Incorrect API key provided" in relayed and _clean(relayed)
