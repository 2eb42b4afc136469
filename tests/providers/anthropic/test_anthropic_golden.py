"""Golden wire fixtures for the Anthropic adapter: request bodies, response parsing, error mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from llmrelay.providers.anthropic import AnthropicProvider
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import ChatResponse

FIXTURES = Path(__file__).parents[2] / "fixtures" / "anthropic"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _deployment(model: str) -> Deployment:
    return Deployment(provider="anthropic", model=model.removeprefix("anthropic/"), api_key="sk-ant-test")


def _request(data: dict[str, Any]) -> ChatRequest:
    return msgspec.convert(data, ChatRequest)


@pytest.mark.parametrize("path", sorted((FIXTURES / "requests").glob("*.json")), ids=lambda p: p.stem)
def test_request_body_matches_fixture(path: Path) -> None:
    case = _load(path)
    request = _request(case["request"])
    adapter = AnthropicProvider()
    request = adapter.check_params(request, drop=False)
    http = adapter.prepare_chat(request, _deployment(request.model))
    assert http.body is not None
    assert json.loads(http.body) == case["expected_body"]
    assert http.stream == bool(request.stream)


@pytest.mark.parametrize("path", sorted((FIXTURES / "responses").glob("*.json")), ids=lambda p: p.stem)
def test_response_parses_to_fixture(path: Path) -> None:
    case = _load(path)
    request = _request(case.get("request") or {"model": "claude-sonnet-4-5", "messages": []})
    body = json.dumps(case["body"]).encode()
    result = AnthropicProvider().parse_chat(HttpResponse(status=200, body=body), request)
    assert result.created > 0
    assert result == msgspec.convert({**case["expected"], "created": result.created}, ChatResponse)


# each plain status's class, message and code is checked for every adapter in tests/conformance; these
# cases are the provider's own (message markers, retry hints, odd statuses, non-JSON bodies)
@pytest.mark.parametrize("case", _load(FIXTURES / "errors" / "cases.json"), ids=lambda c: c["name"])
def test_error_status_maps_to_class(case: dict[str, Any]) -> None:
    body = case["body_text"].encode() if "body_text" in case else json.dumps(case["body"]).encode()
    err = AnthropicProvider().classify_error(case["status"], case["headers"], body)
    expected = case["expected"]
    assert type(err).__name__ == expected["class"]
    assert isinstance(err, errors.LLMError)
    assert err.status_code == expected["status_code"]
    assert err.retryable is expected["retryable"]
    assert err.provider == "anthropic"
    if "retry_after" in expected:
        assert err.retry_after == expected["retry_after"]
    if "message" in expected:
        assert err.message == expected["message"]
    if "fallback_ok" in expected:
        assert err.fallback_ok is expected["fallback_ok"]
