"""Every registered adapter as the conformance suite sees it: one AdapterCase (conformance_case.py)
per adapter (four for Vertex AI, which serves Gemini and Claude in their makers' formats and its
partner models in OpenAI's), saying which
deployment it is called with, which call types it serves (each with a recorded answer in the
provider's real wire format) and what its error bodies look like.

A compat row of openai_compat.toml gets its case from its flags; a native adapter has a row in
_native_cases() below. `test_every_registered_adapter_has_a_case` fails when an adapter is registered
without one, so a new adapter cannot skip the suite."""

from __future__ import annotations

from typing import Any

from conformance_case import CALLS, AdapterCase, ErrorStream, secret_for

from llmrelay.providers.compat import CompatSpec, compat_specs
from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID
from llmrelay.types.deployment import Deployment

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


OPENAI_ERROR_STREAM = ErrorStream(
    "conformance/recorded/openai/stream_error.sse", "InternalServerError", "The server had an error"
)


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
    if spec.whole_api:  # OpenAI's other endpoints (speech has no conformance case: not JSON)
        answers["moderation"] = OPENAI_ANSWERS["moderation"]
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
    return AdapterCase(
        spec.name,
        spec.name,
        deployment,
        answers,
        "openai",
        models=models,
        more_streams=more,
        error_stream=OPENAI_ERROR_STREAM,
    )


_VERTEX = {"vertex_project": "proj-1", "vertex_location": "us-central1"}
_GEMINI_ANSWERS = {
    "chat": "conformance/recorded/gemini/chat.json",
    "stream": "fixtures/gemini/streams/text.sse",
    "embedding": "fixtures/gemini/embeddings/batch.json#response",
}
_ANTHROPIC_ANSWERS = {
    "chat": "conformance/recorded/anthropic/chat.json",
    "stream": "fixtures/anthropic/streams/text.sse",
}
# (json_mode.sse decodes differently for a response_format request: the Anthropic tests split it)
_ANTHROPIC_MORE = {
    "stream": ("fixtures/anthropic/streams/thinking.sse", "fixtures/anthropic/streams/tools.sse")
}
_ANTHROPIC_ERROR = ErrorStream(
    "fixtures/anthropic/streams/error_overloaded.sse",
    "ServiceUnavailableError",
    "Overloaded",
    "overloaded_error",
)
_GEMINI_ERROR = ErrorStream(
    "fixtures/gemini/streams/error_midstream.sse", "ServiceUnavailableError", "overloaded", "UNAVAILABLE"
)
_COHERE_ERROR = ErrorStream(
    "conformance/recorded/cohere/stream_error.sse", "InternalServerError", "internal failure"
)
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
# Ollama's answers, from its API reference (docs/api.md); the stream lines are its documented
# streaming shape, several of them
_OLLAMA = "conformance/recorded/ollama/"
_OLLAMA_ERROR = ErrorStream(_OLLAMA + "stream_error.ndjson", "InternalServerError", "unexpected EOF")
_OLLAMA_MORE = {"stream": (_OLLAMA + "chat_stream_tools.ndjson", _OLLAMA + "chat_stream_thinking.ndjson")}
# the in-process server's own answers (OpenAI's wire format), recorded from a tiny GPT-2 and
# all-MiniLM-L6-v2 run by llmrelay.local (docs/providers/huggingface_local.md, "Testing")
_HF_LOCAL = "conformance/recorded/huggingface_local/"
_HF_LOCAL_ANSWERS = {
    "chat": "chat.json",
    "stream": "stream.sse",
    "embedding": "embedding.json",
    "text_completion": "text_completion.json",
    "text_stream": "text_stream.sse",
}
# watsonx.ai's answers, from its API reference (cloud.ibm.com/apidocs/watsonx-ai); a ready bearer
# token (`token`) puts the credential on the request itself, where the suite can see it
_WATSONX = "conformance/recorded/watsonx/"
_WATSONX_ERROR = ErrorStream(
    _WATSONX + "stream_error.sse",
    "InternalServerError",
    "model inference timed out",
    "downstream_request_failed",
)


def _watsonx(provider: str, model: str, chat: str, stream: str) -> AdapterCase:
    options = {"token": secret_for(provider), "project_id": "proj-1"}
    return AdapterCase(
        provider,
        provider,
        _deployment(
            provider,
            provider,
            model,
            api_key=None,
            api_base="https://us-south.ml.cloud.ibm.com",
            options=options,
        ),
        {"chat": _WATSONX + chat, "stream": _WATSONX + stream, "embedding": _WATSONX + "embedding.json"},
        "watsonx",
        models={"embedding": "ibm/slate-30m-english-rtrvr"},
        more_streams={"stream": (_WATSONX + "chat_stream_tools.sse",)} if provider == "watsonx" else {},
        error_stream=_WATSONX_ERROR,
    )


# OCI Generative AI's answers (its API reference: ChatResult, GenericChatResponse, CohereChatResponse
# and their stream events); the deployment signs with a key made for the suite, whose PEM text is the
# secret that must travel nowhere (only the signature derived from it)
_OCI = "conformance/recorded/oci/"


def _oci_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _oci(case_id: str, model: str, chat: str, stream: str, error: str, **more: Any) -> AdapterCase:
    options = {"oci_key": _oci_key(), "oci_user": "ocid1.user.oc1..u", "oci_tenancy": "ocid1.tenancy.oc1..t",
               "oci_fingerprint": "aa:bb:cc", "oci_compartment_id": "ocid1.compartment.oc1..c",
               "oci_region": "us-chicago-1"}  # fmt: skip
    return AdapterCase(
        case_id,
        "oci",
        _deployment(case_id, "oci", model, api_key=None, options=options),
        {"chat": _OCI + chat, "stream": _OCI + stream},
        "oci",
        error_stream=ErrorStream(
            _OCI + error, "InternalServerError", "the model server timed out", "InternalServerError"
        ),
        **more,
    )


# Cloudflare Workers AI's answers, in its {result, success, errors} envelope (its REST API reference)
_CLOUDFLARE = "conformance/recorded/cloudflare/"


# Voyage AI's and Jina AI's answers, from their API references (embeddings and rerank only)
def _search_case(provider: str, embedding_model: str, rerank_model: str) -> AdapterCase:
    return AdapterCase(
        provider,
        provider,
        _deployment(provider, provider, embedding_model),
        {
            "embedding": f"conformance/recorded/{provider}/embedding.json",
            "rerank": f"conformance/recorded/{provider}/rerank.json",
        },
        "fastapi",
        models={"rerank": rerank_model},
    )


# Replicate answers input its model's schema rejects with 422: the caller's bad request
_REPLICATE_CLASSES = {422: "BadRequestError"}


def _sagemaker_cases() -> tuple[AdapterCase, ...]:
    def deployment(case_id: str) -> Deployment:
        options = {"aws_access_key_id": ACCESS_KEY_ID, "aws_secret_access_key": secret_for(case_id),
                   "aws_region_name": "us-east-1"}  # fmt: skip
        return Deployment(provider=case_id, model="my-endpoint", options=options)

    return (
        AdapterCase(
            "sagemaker",
            "sagemaker",
            deployment("sagemaker"),
            {
                "chat": "conformance/recorded/sagemaker/chat.json",
                "stream": "conformance/recorded/sagemaker/stream.events.json",
            },
            "sagemaker",
            more_streams={"stream": ("conformance/recorded/sagemaker/stream_length.events.json",)},
            error_stream=ErrorStream(
                "conformance/recorded/sagemaker/stream_error.events.json",
                "InternalServerError",
                "CUDA out of memory",
                "ModelStreamError",
            ),
        ),
        AdapterCase(
            "sagemaker_chat",
            "sagemaker_chat",
            deployment("sagemaker_chat"),
            {
                "chat": "fixtures/openai/responses/text.json",
                "stream": "conformance/recorded/sagemaker_chat/stream.events.json",
            },
            "sagemaker",
            error_stream=ErrorStream(
                "conformance/recorded/sagemaker_chat/stream_error.events.json",
                "InternalServerError",
                "CUDA out of memory",
                "ModelStreamError",
            ),
        ),
    )


def _bedrock_invoke_cases() -> tuple[AdapterCase, ...]:
    """`bedrock/invoke/`: the Bedrock adapter's InvokeModel bodies, one case per kind of family reader
    (Anthropic's events; a text-prompt family's chunks)."""

    def deployment(case_id: str, model: str) -> Deployment:
        options = {"aws_access_key_id": ACCESS_KEY_ID, "aws_secret_access_key": secret_for(case_id),
                   "aws_region_name": "us-east-1"}  # fmt: skip
        return Deployment(provider="bedrock", model=f"invoke/{model}", options=options)

    recorded = "conformance/recorded/bedrock_invoke"
    return (
        AdapterCase(
            "bedrock-invoke-anthropic",
            "bedrock",
            deployment("bedrock-invoke-anthropic", "us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
            {
                "chat": "conformance/recorded/anthropic/chat.json",
                "stream": f"{recorded}/anthropic_stream.events.json",
            },
            "bedrock",
            error_stream=ErrorStream(
                f"{recorded}/anthropic_stream_error.events.json",
                "RateLimitError",
                "Too many requests",
                "throttlingException",
            ),
        ),
        AdapterCase(
            "bedrock-invoke-llama",
            "bedrock",
            deployment("bedrock-invoke-llama", "meta.llama3-1-8b-instruct-v1:0"),
            {"chat": f"{recorded}/llama_chat.json", "stream": f"{recorded}/llama_stream.events.json"},
            "bedrock",
            error_stream=ErrorStream(
                f"{recorded}/llama_stream_error.events.json",
                "InternalServerError",
                "The model stream failed",
                "modelStreamErrorException",
            ),
        ),
    )


def _native_cases() -> list[AdapterCase]:
    return [
        AdapterCase(
            "anthropic",
            "anthropic",
            _deployment("anthropic", "anthropic", "claude-sonnet-4-5"),
            _ANTHROPIC_ANSWERS,
            "anthropic",
            more_streams=_ANTHROPIC_MORE,
            error_stream=_ANTHROPIC_ERROR,
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
            error_stream=ErrorStream(
                "conformance/recorded/azure/stream_error.sse",
                "InternalServerError",
                "The server had an error",
                "server_error",
            ),
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
            error_stream=ErrorStream(
                "conformance/recorded/bedrock/stream_error.events.json",
                "RateLimitError",
                "Too many requests",
                "throttlingException",
            ),
            embedding_input=("hello world",),
        ),
        *_sagemaker_cases(),
        *_bedrock_invoke_cases(),
        AdapterCase(
            "cohere",
            "cohere",
            _deployment("cohere", "cohere", "command-a-03-2025"),
            _COHERE_ANSWERS,
            "cohere",
            models=_COHERE_MODELS,
            more_streams=_COHERE_MORE,
            error_stream=_COHERE_ERROR,
        ),
        AdapterCase(
            "cohere_chat",
            "cohere_chat",
            _deployment("cohere_chat", "cohere_chat", "command-a-03-2025"),
            _COHERE_ANSWERS,
            "cohere",
            models=_COHERE_MODELS,
            more_streams=_COHERE_MORE,
            error_stream=_COHERE_ERROR,
        ),
        AdapterCase(
            "gemini",
            "gemini",
            _deployment("gemini", "gemini", "gemini-2.0-flash"),
            _GEMINI_ANSWERS,
            "gemini",
            models={"embedding": "gemini-embedding-001"},
            more_streams=_GEMINI_MORE,
            error_stream=_GEMINI_ERROR,
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
            error_stream=OPENAI_ERROR_STREAM,
        ),
        AdapterCase(
            "huggingface_local",
            "huggingface_local",
            _deployment("huggingface_local", "huggingface_local", "/models/tiny-gpt2"),
            {call: _HF_LOCAL + name for call, name in _HF_LOCAL_ANSWERS.items()},
            "openai",
            models={"embedding": "/models/all-MiniLM-L6-v2"},
            error_stream=ErrorStream(_HF_LOCAL + "stream_error.sse", "InternalServerError", "out of memory"),
            keyless=True,
        ),
        AdapterCase(
            "ollama",
            "ollama",
            _deployment("ollama", "ollama", "llama3.2"),
            {
                "chat": _OLLAMA + "generate.json",
                "stream": _OLLAMA + "generate_stream.ndjson",
                "embedding": _OLLAMA + "embedding.json",
            },
            "ollama",
            models={"embedding": "all-minilm"},
            error_stream=_OLLAMA_ERROR,
        ),
        AdapterCase(
            "ollama_chat",
            "ollama_chat",
            _deployment("ollama_chat", "ollama_chat", "llama3.2"),
            {
                "chat": _OLLAMA + "chat.json",
                "stream": _OLLAMA + "chat_stream.ndjson",
                "embedding": _OLLAMA + "embedding.json",
            },
            "ollama",
            models={"embedding": "all-minilm"},
            more_streams=_OLLAMA_MORE,
            error_stream=_OLLAMA_ERROR,
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
            error_stream=ErrorStream(
                "conformance/recorded/replicate/stream_error.sse", "InternalServerError", "device-side assert"
            ),
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
            error_stream=_GEMINI_ERROR,
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
            error_stream=_ANTHROPIC_ERROR,
        ),
        _vertex_partner_case("llama", "meta/llama-3.3-70b-instruct-maas"),
        _vertex_partner_case("mistral", "mistral-small-2503@001"),
        # speech adapters: none of the suite's call types (their transcriptions and speech are
        # tested in tests/providers/deepgram and tests/providers/elevenlabs); their error mapping is
        _speech_case("deepgram", "nova-3"),
        _speech_case("elevenlabs", "scribe_v1"),
        AdapterCase(
            "cloudflare",
            "cloudflare",
            _deployment(
                "cloudflare",
                "cloudflare",
                "@cf/meta/llama-3.1-8b-instruct",
                api_base="https://api.cloudflare.com/client/v4/accounts/acct-1/ai/run",
            ),
            {
                "chat": _CLOUDFLARE + "chat.json",
                "stream": _CLOUDFLARE + "stream.sse",
                "embedding": _CLOUDFLARE + "embedding.json",
            },
            "cloudflare",
            models={"embedding": "@cf/baai/bge-base-en-v1.5"},
            error_stream=ErrorStream(
                _CLOUDFLARE + "stream_error.sse", "InternalServerError", "internal server error", "3043"
            ),
        ),
        AdapterCase(
            "databricks",
            "databricks",
            _deployment(
                "databricks",
                "databricks",
                "databricks-claude-3-7-sonnet",
                api_base="https://adb-1234567890.12.azuredatabricks.net/serving-endpoints",
            ),
            {
                "chat": "conformance/recorded/databricks/chat.json",
                "stream": "conformance/recorded/databricks/stream.sse",
                "embedding": OPENAI_ANSWERS["embedding"],
            },
            "databricks",
            models={"embedding": "databricks-gte-large-en"},
            # OpenAI's own shapes come through unchanged
            more_streams={"stream": OPENAI_MORE_STREAMS["stream"]},
            error_stream=OPENAI_ERROR_STREAM,
        ),
        AdapterCase(
            "snowflake",
            "snowflake",
            _deployment(
                "snowflake",
                "snowflake",
                "llama3.1-70b",
                api_base="https://myorg-acct1.snowflakecomputing.com/api/v2",
            ),
            # the Cortex chat endpoint answers in OpenAI's shapes
            {"chat": OPENAI_ANSWERS["chat"], "stream": OPENAI_ANSWERS["stream"]},
            "snowflake",
            more_streams={"stream": OPENAI_MORE_STREAMS["stream"]},
            error_stream=OPENAI_ERROR_STREAM,
        ),
        *(
            AdapterCase(
                name,
                name,
                _deployment(name, name, model, **fields),
                # OpenAI's wire at URLs of their own (providers/openai_hosted/)
                {call: OPENAI_ANSWERS[call] for call in calls},
                "openai",
                models={"embedding": "Cohere-embed-v3-english"} if "embedding" in calls else {},
                more_streams={"stream": OPENAI_MORE_STREAMS["stream"]},
                error_stream=OPENAI_ERROR_STREAM,
            )
            for name, model, calls, fields in (
                ("datarobot", "azure/gpt-4o-mini", ("chat", "stream"), {}),
                ("gradient_ai", "llama3.3-70b-instruct", ("chat", "stream"), {}),
                ("ragflow", "chat/f1b2c3/deepseek-chat", ("chat", "stream"),
                 {"api_base": "http://ragflow.conformance.test/v1"}),
                ("azure_ai", "Mistral-large-2411", ("chat", "stream", "embedding"),
                 {"api_base": "https://conformance.services.ai.azure.com",
                  "api_version": "2024-05-01-preview"}),
            )
        ),
        AdapterCase(
            "text-completion-codestral",
            "text-completion-codestral",
            _deployment("text-completion-codestral", "text-completion-codestral", "codestral-latest"),
            # fill-in-the-middle answers and streams are chat-shaped: OpenAI's chat recordings
            {"text_completion": OPENAI_ANSWERS["chat"], "text_stream": OPENAI_ANSWERS["stream"]},
            "openai",
        ),
        _search_case("voyage", "voyage-3.5", "rerank-2.5"),
        _search_case("jina_ai", "jina-embeddings-v3", "jina-reranker-v2-base-multilingual"),
        _oci(
            "oci",
            "meta.llama-3.3-70b-instruct",
            "chat.json",
            "stream.sse",
            "stream_error.sse",
            more_streams={"stream": (_OCI + "stream_tools.sse",)},
        ),
        _oci(
            "oci-cohere",
            "cohere.command-r-plus-08-2024",
            "cohere_chat.json",
            "cohere_stream.sse",
            "cohere_stream_error.sse",
        ),
        _watsonx("watsonx", "ibm/granite-3-8b-instruct", "chat.json", "chat_stream.sse"),
        _watsonx("watsonx_text", "ibm/granite-13b-instruct-v2", "generation.json", "generation_stream.sse"),
    ]


def _vertex_partner_case(family: str, model: str) -> AdapterCase:
    """A Vertex AI partner model: OpenAI's chat answers and streams; Vertex's errors (google.rpc.Status)."""
    case_id = f"vertex_ai-{family}"
    deployment = _deployment(case_id, "vertex_ai", model, options=_VERTEX)
    answers = {call: OPENAI_ANSWERS[call] for call in ("chat", "stream")}
    more = {"stream": OPENAI_MORE_STREAMS["stream"]}
    return AdapterCase(
        case_id,
        "vertex_ai",
        deployment,
        answers,
        "gemini",
        more_streams=more,
        error_stream=OPENAI_ERROR_STREAM,
    )


def _speech_case(provider: str, model: str) -> AdapterCase:
    return AdapterCase(provider, provider, _deployment(provider, provider, model), {}, provider)


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
