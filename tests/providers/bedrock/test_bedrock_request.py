"""OpenAI-shaped chat requests → Converse bodies, URLs and authentication headers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from helpers import MODEL, SIGV4_OPTIONS, body_of, chat, dep

from llmrelay.core.options import CREDENTIAL_PARAMS
from llmrelay.providers.bedrock import BedrockProvider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing.aws_identity import fetch_credential
from llmrelay.testing.bedrock_sim import SECRET_ACCESS_KEY
from llmrelay.types import errors

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


@pytest.fixture(autouse=True)
def _clean_aws_env(no_aws_credentials: object) -> None:
    """No AWS credentials but the ones a test gives."""


# ---- registry, URLs, credentials


def test_registry_builds_the_bedrock_adapter() -> None:
    assert isinstance(ProviderRegistry().get("bedrock"), BedrockProvider)


@pytest.mark.parametrize(
    ("model", "path"),
    [
        (MODEL, f"/model/{MODEL}/converse"),
        (f"converse/{MODEL}", f"/model/{MODEL}/converse"),
        (
            "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "/model/us.anthropic.claude-3-7-sonnet-20250219-v1:0/converse",
        ),
        ("meta.llama3-1-70b-instruct-v1:0", "/model/meta.llama3-1-70b-instruct-v1:0/converse"),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
            "/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile%2Fus.amazon.nova-pro-v1:0/converse",
        ),
        ("evil/../x?y#z", "/model/evil%2F..%2Fx%3Fy%23z/converse"),
    ],
)
def test_model_id_is_one_path_segment_of_the_regional_endpoint(model: str, path: str) -> None:
    http = BedrockProvider().prepare_chat(chat(), dep(model))
    assert http.url == "https://bedrock-runtime.us-east-1.amazonaws.com" + path


def test_stream_uses_converse_stream_and_asks_for_the_event_stream() -> None:
    http = BedrockProvider().prepare_chat(chat(stream=True), dep())
    assert http.url.endswith("/converse-stream")
    assert http.stream is True
    assert http.headers["accept"] == "application/vnd.amazon.eventstream"


def test_sigv4_headers_and_no_secret_anywhere() -> None:
    options = {**SIGV4_OPTIONS, "aws_session_token": "session-token-value"}
    http = BedrockProvider().prepare_chat(chat(), dep(options=options))
    auth = http.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIASIMULATOR0000001/")
    assert "/us-east-1/bedrock/aws4_request" in auth
    assert "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token" in auth
    assert http.headers["x-amz-security-token"] == "session-token-value"
    assert http.headers["x-amz-date"].endswith("Z")
    assert SECRET_ACCESS_KEY not in repr(http)
    assert all(SECRET_ACCESS_KEY not in v for v in http.headers.values())
    assert SECRET_ACCESS_KEY.encode() not in (http.body or b"")


def test_api_key_is_a_bedrock_bearer_token() -> None:
    http = BedrockProvider().prepare_chat(
        chat(), dep(api_key="bedrock-api-key", options={"aws_region_name": "eu-west-1"})
    )
    assert http.headers["authorization"] == "Bearer bedrock-api-key"
    assert http.url.startswith("https://bedrock-runtime.eu-west-1.amazonaws.com/")


def test_environment_credentials_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    http = BedrockProvider().prepare_chat(chat(), dep(options={"base_model": "x"}))
    assert "Credential=AKIAENV/" in http.headers["authorization"]
    assert "/ap-south-1/bedrock/" in http.headers["authorization"]
    monkeypatch.setenv("AWS_REGION", "us-west-2")  # AWS_REGION wins over AWS_DEFAULT_REGION
    http = BedrockProvider().prepare_chat(chat(), dep(options={"base_model": "x"}))
    assert http.url.startswith("https://bedrock-runtime.us-west-2.amazonaws.com/")
    # the bearer token of the environment wins over its keys (as the AWS SDKs do)
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-bearer")
    http = BedrockProvider().prepare_chat(chat(), dep(options={"base_model": "x"}))
    assert http.headers["authorization"] == "Bearer env-bearer"


def test_deployment_keys_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-bearer")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    http = BedrockProvider().prepare_chat(chat(), dep())
    assert "Credential=AKIASIMULATOR0000001/" in http.headers["authorization"]


async def test_missing_credentials_region_or_half_a_key_pair() -> None:
    # no credentials named: the AWS chain looks for them before the call, and finds none
    deployment = dep(options={"aws_region_name": "us-east-1"})
    BedrockProvider().prepare_chat(chat(), deployment)
    grant = BedrockProvider().token_grant(deployment)
    assert grant is not None
    with pytest.raises(errors.AuthenticationError, match="no AWS credentials for bedrock"):
        await fetch_credential(grant)
    with pytest.raises(errors.BadRequestError, match="no AWS region"):
        BedrockProvider().prepare_chat(chat(), dep(api_key="k", options={"base_model": "x"}))
    with pytest.raises(errors.AuthenticationError, match="both aws_access_key_id and aws_secret_access_key"):
        BedrockProvider().prepare_chat(
            chat(), dep(options={"aws_access_key_id": "AK", "aws_region_name": "x"})
        )
    with pytest.raises(errors.AuthenticationError, match="aws_web_identity_token needs aws_role_name"):
        BedrockProvider().prepare_chat(chat(), dep(options={**SIGV4_OPTIONS, "aws_web_identity_token": "t"}))


def test_endpoint_override_and_region_from_an_aws_endpoint() -> None:
    http = BedrockProvider().prepare_chat(chat(), dep(api_base="http://127.0.0.1:9/", api_key="k",
                                                      options={"aws_region_name": "us-east-1"}))  # fmt: skip
    assert http.url == f"http://127.0.0.1:9/model/{MODEL}/converse"
    options = {"aws_bedrock_runtime_endpoint": "https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com"}
    http = BedrockProvider().prepare_chat(chat(), dep(api_key="k", options=options))
    assert http.url.startswith("https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com/model/")


def test_extra_headers_are_sent_but_cannot_replace_the_signature() -> None:
    http = BedrockProvider().prepare_chat(
        chat(), dep(extra_headers={"x-trace": "1", "authorization": "Bearer forged"})
    )
    assert http.headers["x-trace"] == "1"
    assert http.headers["authorization"].startswith("AWS4-HMAC-SHA256 ")


def test_sdk_credential_keywords_are_credentials() -> None:
    for name in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_region_name",
                 "aws_profile_name", "aws_bedrock_runtime_endpoint"):  # fmt: skip
        assert name in CREDENTIAL_PARAMS


def test_credentials_in_a_request_body_are_refused() -> None:
    with pytest.raises(errors.BadRequestError, match="aws_secret_access_key is a deployment setting"):
        body_of(chat(extra_body={"aws_secret_access_key": "x"}))


# ---- body mapping


def test_system_messages_and_merged_turns() -> None:
    body = body_of(
        chat(
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Use English."}]},
                {"role": "user", "content": "one"},
                {"role": "user", "content": [{"type": "text", "text": "two"}]},
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": "three"},
            ]
        )
    )
    assert body["system"] == [{"text": "Be brief."}, {"text": "Use English."}]
    assert body["messages"] == [
        {"role": "user", "content": [{"text": "one"}, {"text": "two"}]},
        {"role": "assistant", "content": [{"text": "ok"}]},
        {"role": "user", "content": [{"text": "three"}]},
    ]
    assert "modelId" not in body and "model" not in body


def test_inference_config_and_model_specific_fields() -> None:
    body = body_of(chat(max_tokens=100, temperature=0.2, top_p=0.9, stop="END", top_k=40))
    assert body["inferenceConfig"] == {
        "maxTokens": 100,
        "temperature": 0.2,
        "topP": 0.9,
        "stopSequences": ["END"],
    }
    assert body["additionalModelRequestFields"] == {"top_k": 40}
    nova = body_of(chat(top_k=5, max_completion_tokens=7), dep("amazon.nova-pro-v1:0"))
    assert nova["additionalModelRequestFields"] == {"inferenceConfig": {"topK": 5}}
    assert nova["inferenceConfig"] == {"maxTokens": 7}


def test_extra_body_fields_go_to_the_body_or_the_model() -> None:
    body = body_of(
        chat(extra_body={"guardrailConfig": {"guardrailIdentifier": "g", "guardrailVersion": "1"},
                         "anthropic_beta": ["x"], "additionalModelRequestFields": {"k": 1}})
    )  # fmt: skip
    assert body["guardrailConfig"] == {"guardrailIdentifier": "g", "guardrailVersion": "1"}
    assert body["additionalModelRequestFields"] == {"anthropic_beta": ["x"], "k": 1}


def test_thinking_for_anthropic_models_only() -> None:
    body = body_of(chat(reasoning_effort="medium"))
    assert body["additionalModelRequestFields"]["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    body = body_of(
        chat(thinking={"type": "enabled", "budget_tokens": 3000}),
        dep("us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
    )
    assert body["additionalModelRequestFields"]["thinking"] == {"type": "enabled", "budget_tokens": 3000}
    with pytest.raises(errors.BadRequestError, match="Anthropic models"):
        body_of(chat(reasoning_effort="low"), dep("meta.llama3-1-70b-instruct-v1:0"))


def test_images_and_documents_as_bytes_or_s3() -> None:
    pdf = base64.b64encode(b"%PDF-1.4").decode()
    body = body_of(
        chat(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "look"},
                        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                        {"type": "image_url", "image_url": {"url": "s3://bucket/cat.jpg"}},
                        {
                            "type": "file",
                            "file": {
                                "file_data": f"data:application/pdf;base64,{pdf}",
                                "filename": "Q3 report.pdf",
                            },
                        },
                    ],
                }
            ]
        )
    )
    content = body["messages"][0]["content"]
    assert content[1] == {"image": {"format": "png", "source": {"bytes": PNG}}}
    assert content[2] == {
        "image": {"format": "jpeg", "source": {"s3Location": {"uri": "s3://bucket/cat.jpg"}}}
    }
    assert content[3] == {"document": {"format": "pdf", "name": "Q3 report", "source": {"bytes": pdf}}}


def test_http_image_urls_and_audio_are_refused() -> None:
    with pytest.raises(errors.BadRequestError, match="data URL"):
        body_of(
            chat(
                messages=[
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}],
                    }
                ]
            )
        )
    with pytest.raises(errors.BadRequestError, match="input_audio"):
        body_of(
            chat(
                messages=[
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_audio", "input_audio": {"data": "AA==", "format": "wav"}}
                        ],
                    }
                ]
            )
        )
    with pytest.raises(errors.BadRequestError, match="base64"):
        body_of(
            chat(
                messages=[
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}],
                    }
                ]
            )
        )


CITY = {"type": "object", "properties": {"city": {"type": "string"}}}
TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather now", "parameters": CITY},
}


def test_tools_and_tool_choice() -> None:
    body = body_of(chat(tools=[TOOL], tool_choice="required"))
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "description": "Weather now",
                    "inputSchema": {"json": TOOL["function"]["parameters"]},
                }
            }
        ],
        "toolChoice": {"any": {}},
    }
    assert body_of(chat(tools=[TOOL], tool_choice="auto"))["toolConfig"]["toolChoice"] == {"auto": {}}
    named = {"type": "function", "function": {"name": "get_weather"}}
    assert body_of(chat(tools=[TOOL], tool_choice=named))["toolConfig"]["toolChoice"] == {
        "tool": {"name": "get_weather"}
    }
    assert "toolConfig" not in body_of(chat(tools=[TOOL], tool_choice="none"))
    bare = {"type": "function", "function": {"name": "now"}}
    assert body_of(chat(tools=[bare]))["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"] == {
        "json": {"type": "object", "properties": {}}
    }


def test_tool_call_round_trip_becomes_tool_use_and_tool_result() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "t2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "t2", "content": "rain"},
    ]
    body = body_of(chat(messages=messages, tools=[TOOL]))
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "t2", "name": "get_weather", "input": {"city": "Rome"}}},
        ],
    }
    # both results in one user turn, as Converse's alternation requires
    assert body["messages"][2] == {
        "role": "user",
        "content": [
            {"toolResult": {"toolUseId": "t1", "content": [{"text": "sunny"}]}},
            {"toolResult": {"toolUseId": "t2", "content": [{"text": "rain"}]}},
        ],
    }
    with pytest.raises(errors.BadRequestError, match="needs the tools"):
        body_of(chat(messages=messages))


def test_replayed_thinking_blocks_come_first() -> None:
    assistant = {"role": "assistant", "content": "42",
                 "thinking_blocks": [{"type": "thinking", "thinking": "hmm", "signature": "sig"},
                                     {"type": "redacted_thinking", "data": "b64"}]}  # fmt: skip
    body = body_of(
        chat(messages=[{"role": "user", "content": "q"}, assistant, {"role": "user", "content": "more"}])
    )
    assert body["messages"][1]["content"] == [
        {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig"}}},
        {"reasoningContent": {"redactedContent": "b64"}},
        {"text": "42"},
    ]


def test_cache_control_adds_cache_points() -> None:
    body = body_of(
        chat(
            messages=[
                {
                    "role": "system",
                    "content": [
                        {"type": "text", "text": "long rules", "cache_control": {"type": "ephemeral"}}
                    ],
                },
                {"role": "user", "content": "q", "cache_control": {"type": "ephemeral"}},
            ]
        )
    )
    assert body["system"] == [{"text": "long rules"}, {"cachePoint": {"type": "default"}}]
    assert body["messages"][0]["content"] == [{"text": "q"}, {"cachePoint": {"type": "default"}}]


def test_unsupported_params_are_refused_or_dropped() -> None:
    provider = BedrockProvider()
    with pytest.raises(errors.UnsupportedParamsError, match="seed"):
        provider.check_params(chat(seed=1), drop=False)
    assert provider.check_params(chat(seed=1, n=1, parallel_tool_calls=True), drop=True).seed is None
    with pytest.raises(errors.UnsupportedParamsError, match="n"):
        provider.check_params(chat(n=2), drop=False)


def test_no_conversation_is_a_clear_error() -> None:
    with pytest.raises(errors.BadRequestError, match="at least one user or assistant message"):
        body_of(chat(messages=[{"role": "system", "content": "only rules"}]))


def test_catalog_model_drops_the_route_prefix() -> None:
    assert BedrockProvider().catalog_model(dep(f"converse/{MODEL}")) == MODEL


def test_a_bearer_token_to_an_endpoint_override_needs_no_region() -> None:
    http = BedrockProvider().prepare_chat(
        chat(), dep(api_key="k", api_base="http://gw.local", options={"x": 1})
    )
    assert http.url == f"http://gw.local/model/{MODEL}/converse"
    with pytest.raises(errors.BadRequestError, match="no AWS region"):
        options = {"aws_access_key_id": "AK", "aws_secret_access_key": "s"}
        BedrockProvider().prepare_chat(chat(), dep(api_base="http://gw.local", options=options))


def test_json_schema_response_format_is_structured_output() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "place", "schema": schema, "description": "A city"}}
    body = body_of(chat(response_format=fmt))
    text_format = body["outputConfig"]["textFormat"]
    assert text_format["type"] == "json_schema"
    definition = text_format["structure"]["jsonSchema"]
    assert definition["name"] == "place" and definition["description"] == "A city"
    assert json.loads(definition["schema"]) == schema  # a JSON string, as the API wants
    assert "outputConfig" not in body_of(chat(response_format={"type": "text"}))
    with pytest.raises(errors.BadRequestError, match="json_object"):
        body_of(chat(response_format={"type": "json_object"}))


def test_without_botocore_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    for name in [m for m in sys.modules if m == "botocore" or m.startswith("botocore.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "botocore", None)
    with pytest.raises(errors.LLMError, match=r"pip install 'llmrelay\[bedrock\]'"):
        BedrockProvider().prepare_chat(chat(), dep())  # SigV4
    with pytest.raises(errors.LLMError, match=r"llmrelay\[bedrock\]"):
        BedrockProvider().prepare_chat(chat(stream=True), dep(api_key="k"))  # the stream decoder
    # a bearer-token call without a stream needs no botocore
    assert BedrockProvider().prepare_chat(chat(), dep(api_key="k")).headers["authorization"] == "Bearer k"
