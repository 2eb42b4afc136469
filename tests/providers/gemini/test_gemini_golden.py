"""Golden wire tests: recorded Gemini request/response/stream/error bodies in tests/fixtures/gemini (its
streams are split at random in tests/conformance)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest

from llmrelay.cost.tokens import count_text
from llmrelay.providers.gemini import GeminiProvider
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import ChatChunk

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gemini"
KEY = "AIza-test-key-never-in-urls"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def deployment(spec: dict[str, Any]) -> Deployment:
    return Deployment(provider="gemini", api_key=KEY, **spec)


def names(folder: str, suffix: str = ".json") -> list[str]:
    return sorted(p.stem for p in (FIXTURES / folder).glob(f"*{suffix}"))


# ---- requests


@pytest.mark.parametrize("name", names("requests"))
def test_request_golden(name: str) -> None:
    case = load(FIXTURES / "requests" / f"{name}.json")
    request = msgspec.convert(case["request"], ChatRequest)
    adapter = GeminiProvider()
    request = adapter.check_params(request, drop=False)
    http = adapter.prepare_chat(request, deployment(case["deployment"]))
    assert http.url == case["expected"]["url"]
    assert json.loads(http.body or b"") == case["expected"]["body"]
    assert http.headers["x-goog-api-key"] == KEY
    assert http.headers["content-type"] == "application/json"
    assert KEY not in http.url
    assert http.stream is bool(case["request"].get("stream"))


# ---- non-streamed responses


@pytest.mark.parametrize("name", [n for n in names("responses") if n != "prompt_blocked"])
def test_response_golden(name: str) -> None:
    case = load(FIXTURES / "responses" / f"{name}.json")
    request = ChatRequest(model="gemini-x", messages=[])
    body = json.dumps(case["body"]).encode()
    result = GeminiProvider().parse_chat(HttpResponse(status=200, body=body), request)
    expected = case["expected"]
    data = full(result)
    assert data["id"] == expected["id"]
    assert data["model"] == expected["model"]
    assert data["object"] == "chat.completion"
    assert data["choices"] == expected["choices"]
    assert data["usage"] == expected["usage"]


def full(value: Any) -> Any:
    """Plain data with default values spelled out (to_dict() omits them, the fixtures show them as
    OpenAI sends them); optional fields left at None are dropped, required ones kept."""
    if isinstance(value, msgspec.Struct):
        out = {}
        for info in msgspec.structs.fields(value):
            item = getattr(value, info.name)
            if item is not None or info.required:
                out[info.encode_name] = full(item)
        return out
    if isinstance(value, list):
        return [full(v) for v in value]
    if isinstance(value, dict):
        return {k: full(v) for k, v in value.items()}
    return value


def test_prompt_blocked_response_raises_content_policy() -> None:
    case = load(FIXTURES / "responses" / "prompt_blocked.json")
    body = json.dumps(case["body"]).encode()
    with pytest.raises(errors.ContentPolicyViolationError) as info:
        GeminiProvider().parse_chat(HttpResponse(status=200, body=body), ChatRequest(model="m", messages=[]))
    assert info.value.code == case["expected_error"]["code"]
    assert info.value.status_code == case["expected_error"]["status_code"]
    assert "PROHIBITED_CONTENT" in str(info.value)


# ---- streams


def decode(raw: bytes, pieces: list[bytes]) -> list[ChatChunk]:
    decoder = GeminiProvider().chat_stream_decoder(ChatRequest(model="gemini-x", messages=[], stream=True))
    out: list[ChatChunk] = []
    for piece in pieces:
        out.extend(decoder.feed(piece))
    out.extend(decoder.end())
    return out


def random_split(raw: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(raw)), k=min(len(raw) - 1, rng.randint(1, 40))))
    return [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]


# (text.sse's chunks are tests/conformance/golden/gemini/stream.json's)
@pytest.mark.parametrize("name", names("streams"))
def test_stream_golden(name: str) -> None:
    raw = (FIXTURES / "streams" / f"{name}.sse").read_bytes()
    expected = load(FIXTURES / "streams" / f"{name}.json")
    chunks = decode(raw, [raw])
    assert {c.id for c in chunks} == {expected["id"]}
    assert {c.model for c in chunks} == {expected["model"]}
    got = [{k: v for k, v in c.to_dict().items() if k in ("choices", "usage")} for c in chunks]
    assert got == expected["chunks"]
    assert len({c.created for c in chunks}) == 1


@pytest.mark.parametrize("seed", range(10))
def test_stream_cut_before_finish_raises_connection_error(seed: int) -> None:
    raw = (FIXTURES / "streams" / "cut.sse").read_bytes()
    pieces = random_split(raw, random.Random(seed))
    with pytest.raises(errors.APIConnectionError):
        decode(raw, pieces)


def test_stream_cut_mid_event_raises_connection_error() -> None:
    raw = (FIXTURES / "streams" / "text.sse").read_bytes()
    truncated = raw[: raw.rindex(b"finishReason") - 10]
    with pytest.raises(errors.APIConnectionError):
        decode(truncated, [truncated])


# (a stream ending in an error status (error_midstream.sse): checked for every adapter in
# tests/conformance/test_conformance_stream_errors.py)


def test_stream_prompt_blocked_raises_content_policy() -> None:
    raw = (FIXTURES / "streams" / "prompt_blocked.sse").read_bytes()
    with pytest.raises(errors.ContentPolicyViolationError):
        decode(raw, [raw])


# ---- embeddings


@pytest.mark.parametrize("name", names("embeddings"))
def test_embedding_golden(name: str) -> None:
    case = load(FIXTURES / "embeddings" / f"{name}.json")
    request = EmbeddingRequest(**case["request"])
    adapter = GeminiProvider()
    http = adapter.prepare_embedding(request, deployment(case["deployment"]))
    assert http.url == case["expected_request"]["url"]
    assert json.loads(http.body or b"") == case["expected_request"]["body"]
    assert http.headers["x-goog-api-key"] == KEY
    body = json.dumps(case["response"]).encode()
    result = adapter.parse_embedding(HttpResponse(status=200, body=body), request)
    data = full(result)
    usage = data.pop("usage")
    assert data == case["expected"]
    # Gemini reports no token counts for embeddings: the estimate counts the input text
    expected_tokens = sum(count_text(t, request.model) for t in request.texts())
    assert usage == {"prompt_tokens": expected_tokens, "total_tokens": expected_tokens}
    assert expected_tokens > 0


# ---- errors


# each plain status's class, message and code is checked for every adapter in tests/conformance; these
# cases are the provider's own (message markers, retry hints, odd statuses, non-JSON bodies)
ERROR_CASES = load(FIXTURES / "errors" / "cases.json")


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["name"] for c in ERROR_CASES])
def test_error_golden(case: dict[str, Any]) -> None:
    body = case["raw"].encode() if "raw" in case else json.dumps(case["body"]).encode()
    error = GeminiProvider().classify_error(case["status"], case.get("headers", {}), body)
    expected = case["expected"]
    assert type(error).__name__ == expected["class"]
    assert error.status_code == expected["status_code"]
    assert error.provider == "gemini"
    if "code" in expected:
        assert error.code == expected["code"]
    if "retry_after" in expected:
        assert error.retry_after == expected["retry_after"]
    if "retryable" in expected:
        assert error.retryable is expected["retryable"]
    if "body" in case:
        envelope = case["body"][0] if isinstance(case["body"], list) else case["body"]
        assert envelope["error"]["message"] in str(error)
