"""`key_management_system: aws_secret_manager`: GetSecretValue over AWS's JSON API, signed with
SigV4, against moto's standalone server (the real API, started here on port 0 and stopped), and
the signer checked against botocore's."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from llmrelay.config import ConfigError, parse_config
from llmrelay.config.secrets.sigv4 import AwsCredentials, signed_headers

moto_server = pytest.importorskip("moto.server", reason="needs moto[server] (the dev extra)")
boto3 = pytest.importorskip("boto3")

REGION = "eu-west-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}
OPENAI_SECRET = "sk-openai-held-by-aws-0123456789"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def secrets(endpoint: str) -> Iterator[Any]:
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    yield client
    for page in client.get_paginator("list_secrets").paginate():
        for secret in page["SecretList"]:
            client.delete_secret(SecretId=secret["Name"], ForceDeleteWithoutRecovery=True)


def _env(endpoint: str, **extra: str) -> dict[str, str]:
    return {**CREDENTIALS, "AWS_REGION_NAME": REGION, "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint, **extra}


def _document(settings: dict[str, Any] | None = None) -> dict[str, Any]:
    general: dict[str, Any] = {
        "key_management_system": "aws_secret_manager",
        "master_key": "os.environ/litellm_master_key",
    }
    if settings is not None:
        general["key_management_settings"] = settings
    return {
        "model_list": [
            {
                "model_name": "m",
                "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"},
            }
        ],
        "general_settings": general,
    }


def test_secrets_are_read_from_secrets_manager(endpoint: str, secrets: Any) -> None:
    secrets.create_secret(Name="OPENAI_API_KEY", SecretString=OPENAI_SECRET)
    secrets.create_secret(Name="litellm_master_key", SecretString="sk-master-from-aws")
    config = parse_config(_document(), source="c.yaml", environ=_env(endpoint))
    assert config.model_list[0]["litellm_params"]["api_key"] == OPENAI_SECRET
    assert config.general.master_key == "sk-master-from-aws"
    assert config.secrets is not None and sorted(config.secrets.names()) == [
        "OPENAI_API_KEY",
        "litellm_master_key",
    ]


def test_hosted_keys_and_the_environment_fallback(endpoint: str, secrets: Any) -> None:
    secrets.create_secret(Name="litellm_master_key", SecretString="sk-master-from-aws")
    secrets.create_secret(Name="OPENAI_API_KEY", SecretString=OPENAI_SECRET)
    env = _env(endpoint, OPENAI_API_KEY="sk-from-env")
    config = parse_config(_document({"hosted_keys": ["litellm_master_key"]}), source="c.yaml", environ=env)
    assert config.general.master_key == "sk-master-from-aws"
    assert config.model_list[0]["litellm_params"]["api_key"] == "sk-from-env"  # not hosted
    secrets.delete_secret(SecretId="OPENAI_API_KEY", ForceDeleteWithoutRecovery=True)
    # no such secret in AWS: the environment, as LiteLLM
    assert parse_config(_document(), source="c.yaml", environ=env).model_list[0]["litellm_params"][
        "api_key"
    ] == ("sk-from-env")


def test_one_json_secret_holds_many_names(endpoint: str, secrets: Any) -> None:
    bundle = {"OPENAI_API_KEY": OPENAI_SECRET, "litellm_master_key": "sk-master-in-bundle"}
    secrets.create_secret(Name="litellm_secrets", SecretString=json.dumps(bundle))
    config = parse_config(
        _document({"primary_secret_name": "litellm_secrets"}), source="c.yaml", environ=_env(endpoint)
    )
    assert config.model_list[0]["litellm_params"]["api_key"] == OPENAI_SECRET
    assert config.general.master_key == "sk-master-in-bundle"
    # a refresh reads the bundle again: no change, then the rotated name
    assert config.secrets is not None and config.secrets.refresh().changed == []
    bundle["OPENAI_API_KEY"] = "sk-rotated"
    secrets.put_secret_value(SecretId="litellm_secrets", SecretString=json.dumps(bundle))
    assert config.secrets.refresh().changed == ["OPENAI_API_KEY"]


def test_refused_credentials_stop_the_start_without_values(
    endpoint: str, secrets: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigError) as refused:
        parse_config(_document(), source="c.yaml", environ={**_env(endpoint), "AWS_REGION_NAME": ""})
    assert "AWS_REGION_NAME" in str(refused.value)
    with pytest.raises(ConfigError) as missing:
        parse_config(_document(), source="c.yaml", environ={"AWS_REGION_NAME": REGION})
    assert "AWS_ACCESS_KEY_ID" in str(missing.value)
    for text in (str(refused.value), str(missing.value), caplog.text):
        assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in text


def test_a_missing_secret_and_variable_name_both(endpoint: str, secrets: Any) -> None:
    secrets.create_secret(Name="litellm_master_key", SecretString="sk-master-from-aws")
    with pytest.raises(ConfigError) as refused:
        parse_config(_document(), source="c.yaml", environ=_env(endpoint))
    assert "OPENAI_API_KEY is not set nor a secret in aws_secret_manager" in str(refused.value)


def test_the_signer_matches_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    botocore_auth = pytest.importorskip("botocore.auth")
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    moment = datetime(2026, 12, 7, 21, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(botocore_auth, "get_current_datetime", lambda: moment.replace(tzinfo=None))
    body = b'{"SecretId": "OPENAI_API_KEY"}'
    url = "https://secretsmanager.eu-west-1.amazonaws.com/"
    headers = {"content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue"}
    for token in (None, "session-token-example"):
        ours = signed_headers(
            AwsCredentials("AKIDEXAMPLE", "secret/key+example", token),
            region=REGION, service="secretsmanager", url=url, headers=headers, body=body, now=moment,
        )  # fmt: skip
        request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        credentials = Credentials("AKIDEXAMPLE", "secret/key+example", token)
        botocore_auth.SigV4Auth(credentials, "secretsmanager", REGION).add_auth(request)
        assert ours["x-amz-date"] == request.headers["X-Amz-Date"] == "20261207T210000Z"
        assert ours["authorization"] == request.headers["Authorization"]


def test_an_aws_error_echoing_the_secret_never_reaches_the_message_or_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from aiohttp import web

    from llmrelay.testing.receiver import ReceiverThread

    async def echoing(request: web.Request) -> web.StreamResponse:
        text = f"cannot decrypt {OPENAI_SECRET} for {request.headers.get('authorization')}"
        return web.json_response({"__type": "InternalServiceError", "message": text}, status=500)

    caplog.set_level(logging.DEBUG)
    with ReceiverThread([("POST", "/", echoing)]) as server, pytest.raises(ConfigError) as refused:
        parse_config(_document(), source="c.yaml", environ=_env(server.base_url))
    message = str(refused.value)
    assert "GetSecretValue for 'OPENAI_API_KEY' failed: HTTP 500 InternalServiceError" in message
    for text in (message, repr(refused.value), caplog.text):
        assert OPENAI_SECRET not in text and "Signature=" not in text
        assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in text
