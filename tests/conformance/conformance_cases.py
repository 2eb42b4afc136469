"""Every registered adapter as the conformance suite sees it: one AdapterCase per adapter (two for
Vertex AI, which serves Gemini and Claude in their makers' formats), saying which deployment it is
called with, which call types it serves (each with a recorded answer in the provider's real wire
format) and what its error bodies look like.

A compat row of openai_compat.toml gets its case from its flags; a native adapter has a row in
NATIVE below. `test_every_registered_adapter_has_a_case` fails when an adapter is registered without
one, so a new adapter cannot skip the suite."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from llmrelay.providers.compat import CompatSpec, compat_specs
from llmrelay.providers.registry import NATIVE_ADAPTERS
from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.image import ImageGenerationRequest
from llmrelay.types.moderation import ModerationRequest
from llmrelay.types.rerank import RerankRequest

TESTS = Path(__file__).resolve().parents[1]
RECORDED = Path(__file__).resolve().parent / "recorded"

# every call type an adapter can serve; "stream" and "text_stream" are the streamed chat and text
CALLS = ("chat", "stream", "embedding", "text_completion", "text_stream", "rerank", "moderation", "image")
STREAMED = frozenset({"stream", "text_stream"})

# the statuses every adapter's error mapping is checked for
ERROR_STATUSES = (400, 401, 403, 404, 408, 413, 422, 429, 500, 503)
ERROR_CLASSES: dict[int, str] = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    408: "Timeout",
    413: "RequestTooLargeError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
    503: "ServiceUnavailableError",
}

# the answers shared by every OpenAI-compatible adapter (OpenAI's own recordings)
OPENAI_ANSWERS = {
    "chat": "fixtures/openai/responses/text.json",
    "stream": "fixtures/openai/streams/text.sse",
    "embedding": "fixtures/openai/responses/embedding.json",
    "text_completion": "fixtures/openai/responses/text_completion.json",
    "text_stream": "conformance/recorded/openai/text_stream.sse",
    "moderation": "conformance/recorded/openai/moderation.json",
    "image": "conformance/recorded/openai/image.json",
}
OPENAI_MORE_STREAMS = {
    "stream": ("fixtures/openai/streams/tool_calls.sse", "fixtures/openai/streams/reasoning.sse"),
    # two choices interleaved, multi-byte text, logprobs
    "text_stream": ("conformance/recorded/openai/text_stream_n2.sse",),
}


@dataclass(frozen=True)
class AdapterCase:
    id: str  # the golden folder's name: the registry name, or `<name>-<variant>`
    provider: str  # the registry name
    deployment: Deployment
    # call type → recorded answer, a path under tests/ (`path#key`: the key's value in a JSON file)
    answers: Mapping[str, str]
    # the wire family of error bodies (see conformance_errors.error_response)
    error_shape: str
    # call type → the deployment's model for it, where it differs from deployment.model
    models: Mapping[str, str] = field(default_factory=dict)
    # call type → the recorded first answer of a call of two exchanges (Replicate's stream URL)
    first_answers: Mapping[str, str] = field(default_factory=dict)
    # streamed call type → more recorded transcripts (tool calls, reasoning, several choices...) for
    # the stream checks; the golden file holds the one in `answers`
    more_streams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    embedding_input: tuple[str, ...] = ("hello world", "second text")
    # statuses whose class differs from ERROR_CLASSES, as the provider documents them
    error_classes: Mapping[int, str] = field(default_factory=dict)
    # the query parameter the provider's API requires the key in (none does today; Gemini's `key=`
    # would be declared here)
    key_in_query: str | None = None

    @property
    def calls(self) -> frozenset[str]:
        return frozenset(self.answers)

    def transcripts(self, call: str) -> tuple[str, ...]:
        """Every recorded stream of a streamed call type: the golden one first."""
        return (self.answers[call], *self.more_streams.get(call, ()))

    @property
    def secret(self) -> str:
        """The credential that must not leak: the api key, or for SigV4 the secret access key."""
        options = self.deployment.options or {}
        value = self.deployment.api_key or options.get("aws_secret_access_key")
        assert isinstance(value, str)
        return value

    def deployment_for(self, call: str) -> Deployment:
        model = self.models.get(call)
        return self.deployment if model is None else msgspec.structs.replace(self.deployment, model=model)

    def error_class(self, status: int) -> str:
        return self.error_classes.get(status) or ERROR_CLASSES[status]


def secret_for(case_id: str) -> str:
    # not shaped like any provider's key: the scrubbing checks prove the deployment's own value is
    # removed, not merely a key-shaped token
    return f"conformance-secret-{case_id}-7f3a9c2e"


def _deployment(case_id: str, provider: str, model: str, **fields: Any) -> Deployment:
    fields.setdefault("api_key", secret_for(case_id))
    return Deployment(provider=provider, model=model, **fields)


def _compat_case(spec: CompatSpec) -> AdapterCase:
    answers = {call: OPENAI_ANSWERS[call] for call in ("chat", "stream")}
    if spec.embeddings:
        answers["embedding"] = OPENAI_ANSWERS["embedding"]
    if spec.text_completions:
        answers["text_completion"] = OPENAI_ANSWERS["text_completion"]
        answers["text_stream"] = OPENAI_ANSWERS["text_stream"]
    if spec.moderations:
        answers["moderation"] = OPENAI_ANSWERS["moderation"]
    if spec.images:
        answers["image"] = OPENAI_ANSWERS["image"]
    # rows without a default endpoint (a self-hosted server) are given one
    base = None if spec.api_base else "https://llm.conformance.test/v1"
    if spec.name == "openai":
        models = {
            "embedding": "text-embedding-3-small",
            "text_completion": "gpt-3.5-turbo-instruct",
            "text_stream": "gpt-3.5-turbo-instruct",
            "moderation": "omni-moderation-latest",
            "image": "gpt-image-1",
        }
        deployment = _deployment(spec.name, spec.name, "gpt-4o-mini")
        more = OPENAI_MORE_STREAMS
    else:
        models = {}
        deployment = _deployment(spec.name, spec.name, "conformance-model", api_base=base)
        more = {}
    return AdapterCase(spec.name, spec.name, deployment, answers, "openai", models=models, more_streams=more)


_VERTEX = {"vertex_project": "proj-1", "vertex_location": "us-central1"}
_GEMINI_ANSWERS = {
    "chat": "fixtures/gemini/responses/text.json#body",
    "stream": "fixtures/gemini/streams/text.sse",
    "embedding": "fixtures/gemini/embeddings/batch.json#response",
}
_ANTHROPIC_ANSWERS = {
    "chat": "fixtures/anthropic/responses/text.json#body",
    "stream": "fixtures/anthropic/streams/text.sse",
}
# (json_mode.sse decodes differently for a response_format request: the Anthropic tests split it)
_ANTHROPIC_MORE = {
    "stream": ("fixtures/anthropic/streams/thinking.sse", "fixtures/anthropic/streams/tools.sse")
}
_GEMINI_MORE = {
    "stream": tuple(
        f"fixtures/gemini/streams/{n}.sse" for n in ("thinking", "tools", "two_candidates", "safety")
    )
}
_COHERE_ANSWERS = {
    "chat": "conformance/recorded/cohere/chat.json",
    "stream": "fixtures/cohere/streams/text.sse",
    "embedding": "conformance/recorded/cohere/embedding.json",
    "rerank": "conformance/recorded/cohere/rerank.json",
}
_COHERE_MORE = {"stream": ("fixtures/cohere/streams/tool_call.sse", "fixtures/cohere/streams/thinking.sse")}
_COHERE_MODELS = {"embedding": "embed-english-v3.0", "rerank": "rerank-v3.5"}
# Replicate answers input its model's schema rejects with 422: the caller's bad request
_REPLICATE_CLASSES = {422: "BadRequestError"}


def _native_cases() -> list[AdapterCase]:
    return [
        AdapterCase(
            "anthropic",
            "anthropic",
            _deployment("anthropic", "anthropic", "claude-sonnet-4-5"),
            _ANTHROPIC_ANSWERS,
            "anthropic",
            more_streams=_ANTHROPIC_MORE,
        ),
        AdapterCase(
            "azure",
            "azure",
            _deployment(
                "azure",
                "azure",
                "my-gpt4o",
                api_base="https://conformance.openai.azure.com",
                api_version="2024-10-21",
            ),
            {
                "chat": "providers/azure/fixtures/responses/text.json",
                "stream": "providers/azure/fixtures/streams/text.sse",
                "embedding": OPENAI_ANSWERS["embedding"],
                "text_completion": OPENAI_ANSWERS["text_completion"],
                "text_stream": OPENAI_ANSWERS["text_stream"],
                "image": OPENAI_ANSWERS["image"],
            },
            "azure",
            more_streams={
                "stream": (
                    "providers/azure/fixtures/streams/tool_calls.sse",
                    "providers/azure/fixtures/streams/filtered.sse",
                )
            },
        ),
        AdapterCase(
            "bedrock",
            "bedrock",
            Deployment(
                provider="bedrock",
                model="anthropic.claude-3-5-sonnet-20240620-v1:0",
                options={
                    "aws_access_key_id": ACCESS_KEY_ID,
                    "aws_secret_access_key": secret_for("bedrock"),
                    "aws_region_name": "us-east-1",
                },
            ),
            {
                "chat": "conformance/recorded/bedrock/chat.json",
                "stream": "conformance/recorded/bedrock/stream.events.json",
                "embedding": "conformance/recorded/bedrock/embedding.json",
            },
            "bedrock",
            models={"embedding": "amazon.titan-embed-text-v2:0"},
            more_streams={"stream": ("conformance/recorded/bedrock/stream_tools.events.json",)},
            embedding_input=("hello world",),
        ),
        AdapterCase(
            "cohere",
            "cohere",
            _deployment("cohere", "cohere", "command-a-03-2025"),
            _COHERE_ANSWERS,
            "cohere",
            models=_COHERE_MODELS,
            more_streams=_COHERE_MORE,
        ),
        AdapterCase(
            "cohere_chat",
            "cohere_chat",
            _deployment("cohere_chat", "cohere_chat", "command-a-03-2025"),
            _COHERE_ANSWERS,
            "cohere",
            models=_COHERE_MODELS,
            more_streams=_COHERE_MORE,
        ),
        AdapterCase(
            "gemini",
            "gemini",
            _deployment("gemini", "gemini", "gemini-2.0-flash"),
            _GEMINI_ANSWERS,
            "gemini",
            models={"embedding": "gemini-embedding-001"},
            more_streams=_GEMINI_MORE,
        ),
        AdapterCase(
            "huggingface",
            "huggingface",
            _deployment("huggingface", "huggingface", "together/deepseek-ai/DeepSeek-R1"),
            {
                "chat": OPENAI_ANSWERS["chat"],
                "stream": OPENAI_ANSWERS["stream"],
                "embedding": "conformance/recorded/huggingface/embedding.json",
            },
            "huggingface",
            models={"embedding": "sentence-transformers/all-MiniLM-L6-v2"},
        ),
        AdapterCase(
            "replicate",
            "replicate",
            _deployment("replicate", "replicate", "meta/meta-llama-3-8b-instruct"),
            {
                "chat": "conformance/recorded/replicate/chat.json",
                "stream": "conformance/recorded/replicate/stream.sse",
            },
            "replicate",
            first_answers={"stream": "conformance/recorded/replicate/stream_created.json"},
            error_classes=_REPLICATE_CLASSES,
        ),
        AdapterCase(
            "vertex_ai-gemini",
            "vertex_ai",
            _deployment(
                "vertex_ai-gemini",
                "vertex_ai",
                "gemini-2.0-flash",
                api_key="ya29.conformance-secret-vertex-7f3a9c2e",
                options=_VERTEX,
            ),
            {**_GEMINI_ANSWERS, "embedding": "conformance/recorded/vertex/embedding.json"},
            "gemini",
            models={"embedding": "text-embedding-004"},
        ),
        AdapterCase(
            "vertex_ai-claude",
            "vertex_ai",
            _deployment(
                "vertex_ai-claude",
                "vertex_ai",
                "claude-3-5-sonnet-v2@20241022",
                api_key="ya29.conformance-secret-vertex-claude-7f3a9c2e",
                options=_VERTEX,
            ),
            _ANTHROPIC_ANSWERS,
            "anthropic",
        ),
    ]


def all_cases() -> list[AdapterCase]:
    native = _native_cases()
    covered = {c.provider for c in native}
    compat = [_compat_case(spec) for name, spec in compat_specs().items() if name not in covered]
    return sorted(native + compat, key=lambda c: c.id)


CASES = all_cases()
CASE_IDS = [c.id for c in CASES]
# (case, call type) for every call type each adapter serves
CASE_CALLS = [(c, call) for c in CASES for call in CALLS if call in c.calls]
CASE_CALL_IDS = [f"{c.id}-{call}" for c, call in CASE_CALLS]
NATIVE_NAMES = frozenset(NATIVE_ADAPTERS)


def canonical_request(case: AdapterCase, call: str) -> Any:
    """The canonical call of this type, as the client hands it to the adapter."""
    model = f"{case.provider}/{case.deployment_for(call).model}"
    if call in ("chat", "stream"):
        return msgspec.convert(
            {
                "model": model,
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Say hello"},
                ],
                "temperature": 0.2,
                "max_tokens": 64,
                "stream": call == "stream" or None,
            },
            ChatRequest,
        )
    if call == "embedding":
        return EmbeddingRequest(model=model, input=list(case.embedding_input))
    if call in ("text_completion", "text_stream"):
        stream = call == "text_stream" or None
        return TextCompletionRequest(model=model, prompt="Say this is a test", max_tokens=7, stream=stream)
    if call == "rerank":
        documents: list[str | dict[str, Any]] = ["Berlin is in Germany", "Paris is the capital of France"]
        return RerankRequest(model=model, query="capital of France?", documents=documents, top_n=2)
    if call == "moderation":
        return ModerationRequest(input="I want to hurt them", model=case.deployment_for(call).model)
    if call == "image":
        return ImageGenerationRequest(
            prompt="a red kite", model=model, n=1, size="1024x1024", response_format="b64_json"
        )
    raise AssertionError(f"unknown call type {call!r}")


def recorded_bytes(reference: str) -> bytes:
    """A recorded answer: a file under tests/, or (`path#key`) one key of a JSON file, re-encoded.
    Bedrock's binary event stream is recorded as a list of [event type, payload] and framed here."""
    path, _, key = reference.partition("#")
    file = TESTS / path
    if key:
        return msgspec.json.encode(msgspec.json.decode(file.read_bytes())[key])
    if file.name.endswith(".events.json"):
        from llmrelay.testing.bedrock_wire import event

        events = msgspec.json.decode(file.read_bytes())
        return b"".join(event(name, msgspec.json.encode(payload)) for name, payload in events)
    return file.read_bytes()
