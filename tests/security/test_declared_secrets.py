"""Every secret a provider declares (llmrelay.providers.declarations), passed the way an SDK caller
passes it — as a call keyword — reaches the deployment only: never a request body, a log line or a
callback record, even when the upstream echoes back everything it was sent. One table across the
registry's declarations: a provider that declares a new secret is covered without a new test."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from aiohttp import web

from llmrelay.client import Client
from llmrelay.events.callbacks import Callback
from llmrelay.events.record import CallRecord
from llmrelay.providers.registry import declared_params
from llmrelay.types.errors import LLMError

MESSAGES = [{"role": "user", "content": "ping"}]
SENTINEL = "declared-secret-value-7c1e9b04"

_AWS_KEYS = {
    "aws_access_key_id": "AKIDCOMPANION0001",
    "aws_secret_access_key": "companion-secret-0002",
    "aws_region_name": "us-east-1",
}


def _oci_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


_OCI = {"oci_user": "ocid1.user.oc1..u", "oci_tenancy": "ocid1.tenancy.oc1..t", "oci_fingerprint": "aa:bb",
        "oci_compartment_id": "ocid1.compartment.oc1..c", "oci_key": _oci_key()}  # fmt: skip
# per provider: the model and the options that make a call reach the upstream; the secret under test
# replaces its own slot when it has one
SETUP: dict[str, tuple[str, dict[str, Any]]] = {
    "azure": ("azure/gpt-4o", {"api_version": "2024-10-21", "tenant_id": "t-1", "client_id": "c-1"}),
    "bedrock": (
        "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        {
            "aws_access_key_id": "AKIDCOMPANION0001",
            "aws_secret_access_key": "companion-secret-0002",
            "aws_region_name": "us-east-1",
        },
    ),
    # a key file named by the secret under test is not read: the key given as text signs first
    "oci": ("oci/meta.llama-3.3-70b-instruct", _OCI),
    "sagemaker": ("sagemaker/my-endpoint", _AWS_KEYS),
    "sagemaker_chat": ("sagemaker_chat/my-endpoint", _AWS_KEYS),
    "vertex_ai": ("vertex_ai/gemini-2.0-flash", {"vertex_project": "p", "vertex_location": "us-central1"}),
    "watsonx": ("watsonx/ibm/granite-3-8b-instruct", {"project_id": "p"}),
    "watsonx_text": ("watsonx_text/ibm/granite-13b-instruct-v2", {"project_id": "p"}),
}
CASES = [(provider, name) for provider, declared in declared_params().items() for name in declared.secrets]


@dataclass
class Received:
    content_type: str
    body: bytes


class EchoUpstream:
    """Answers every request with a 400 whose message repeats the request's headers and body: the
    worst upstream, for a secret that was sent anywhere."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.base = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(Received(request.headers.get("content-type", ""), body))
        echo = f"bad request: headers {dict(request.headers)!r} body {body.decode(errors='replace')}"
        return web.json_response({"error": {"message": echo}, "message": echo}, status=400)


@pytest.fixture
async def echo() -> AsyncIterator[EchoUpstream]:
    upstream = EchoUpstream()
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", upstream.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    upstream.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield upstream
    finally:
        await runner.cleanup()


class Recorder(Callback):
    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def on_success(self, record: CallRecord) -> None:
        self.records.append(record)

    def on_failure(self, record: CallRecord) -> None:
        self.records.append(record)


def test_every_provider_declaring_a_secret_has_a_setup() -> None:
    # (huggingface_local declares settings only: the model's folder and its bounds)
    assert set(SETUP) == {name for name, declared in declared_params().items() if declared.secrets}
    assert len(CASES) >= 8


@pytest.mark.parametrize(("provider", "secret"), CASES)
async def test_a_declared_secret_reaches_no_body_log_or_callback(
    provider: str, secret: str, echo: EchoUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    model, options = SETUP[provider]
    # an app registration's token endpoint is the echo upstream too
    options = {**options, "azure_authority_host": echo.base} if provider == "azure" else options
    recorder = Recorder()
    client = Client(callbacks=[recorder])
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(LLMError) as raised:
            await client.acompletion(
                model, MESSAGES, api_base=echo.base, num_retries=0, **{**options, secret: SENTINEL}
            )
        await client.aflush_callbacks()
    finally:
        await client.aclose()
        client.close()

    for sent in echo.received:
        # a token grant's form is where a client secret belongs; a model call's JSON body never
        if "json" in sent.content_type:
            assert SENTINEL.encode() not in sent.body
    error = raised.value
    assert SENTINEL not in str(error) and SENTINEL not in repr(error.body)
    assert recorder.records, "the failed call was reported"
    for record in recorder.records:
        assert SENTINEL not in json.dumps(msgspec.to_builtins(record, enc_hook=repr))
        assert record.error is not None and SENTINEL not in record.error.message
    for line in caplog.records:
        assert SENTINEL not in line.getMessage() and SENTINEL not in repr(line.__dict__)
