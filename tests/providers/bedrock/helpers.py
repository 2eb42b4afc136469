"""Shared by the Bedrock adapter tests: requests, deployments and prepared bodies."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from llmrelay.providers.bedrock import BedrockProvider
from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
SIGV4_OPTIONS = {
    "aws_access_key_id": ACCESS_KEY_ID,
    "aws_secret_access_key": SECRET_ACCESS_KEY,
    "aws_region_name": "us-east-1",
}


def chat(**fields: Any) -> ChatRequest:
    fields.setdefault("model", f"bedrock/{MODEL}")
    fields.setdefault("messages", [{"role": "user", "content": "hi"}])
    return msgspec.convert(fields, ChatRequest)


def dep(model: str = MODEL, **fields: Any) -> Deployment:
    options = fields.pop("options", None)
    return Deployment(provider="bedrock", model=model, options=options or dict(SIGV4_OPTIONS), **fields)


def body_of(request: ChatRequest, deployment: Deployment | None = None) -> dict[str, Any]:
    http = BedrockProvider().prepare_chat(request, deployment or dep())
    result: dict[str, Any] = json.loads(http.body or b"")
    return result
