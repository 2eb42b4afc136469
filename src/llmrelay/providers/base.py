"""The provider adapter contract (sans-IO): build HTTP requests, parse responses, decode streams.

An adapter never touches the network, servers, keys or budgets. The transport sends what `prepare_*`
builds; the adapter parses what comes back. Everything here must be testable with bytes alone.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from llmrelay.providers.declarations import NO_PARAMS, ProviderParams
from llmrelay.providers.grants import Credential, TokenGrant
from llmrelay.types.chat import CALL_FIELDS, ChatRequest, NamedToolChoice
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    LLMError,
    UnsupportedParamsError,
    error_class_for_status,
    parse_retry_after,
    refine_bad_request,
)
from llmrelay.types.http import FollowUp, HttpRequest, HttpResponse
from llmrelay.types.response import ChatChunk


class StreamDecoder(Protocol):
    """Turns a provider's streamed bytes into canonical chunks.

    Output must not depend on how the bytes were split. Decoders emit a final usage-only chunk (empty
    `choices`) whenever the provider reported usage, so cost is always known; the client drops it when
    the caller did not ask for `stream_options.include_usage`. An error event raises an LLMError.
    """

    def feed(self, data: bytes) -> list[ChatChunk]: ...

    def end(self) -> list[ChatChunk]: ...


class TextStreamDecoder(Protocol):
    def feed(self, data: bytes) -> list[TextCompletionResponse]: ...

    def end(self) -> list[TextCompletionResponse]: ...


Req = TypeVar("Req")
Resp = TypeVar("Resp")


@dataclass(frozen=True, slots=True)
class Codec(Generic[Req, Resp]):
    """How an adapter serves one call type: `prepare` builds the HTTP request of a canonical
    request for a deployment; `parse` reads the provider's answer into the canonical response."""

    prepare: Callable[[Req, Deployment], HttpRequest]
    parse: Callable[[HttpResponse, Req], Resp]


class Provider:
    """Base adapter. Subclasses set the class attributes and override what they support."""

    name: str = ""
    default_api_base: str = ""
    # environment variables tried, in order, for the API key
    api_key_env: tuple[str, ...] = ()
    api_base_env: tuple[str, ...] = ()
    # optional ChatRequest fields this provider can take; others raise UnsupportedParamsError
    # (or are dropped with drop_params)
    supported_params: frozenset[str] = frozenset()
    requires_api_key: bool = True
    # the deployment parameters it reads besides api_key / api_base / api_version, and which of them
    # are secrets (llmrelay.providers.declarations); a built-in provider's is also listed in the
    # registry's DECLARED_PARAMS, which reads it without importing the adapter
    deployment_params: ProviderParams = NO_PARAMS

    # ---- per-deployment variants and fetched credentials
    def for_deployment(self, deployment: Deployment) -> Provider:
        """The adapter that serves this deployment: itself, unless one provider name covers several
        wire formats (Vertex AI serves Gemini and Claude, each in its maker's format)."""
        return self

    def token_grant(self, deployment: Deployment) -> TokenGrant | None:
        """The token exchange this deployment's credentials need before a call (see
        llmrelay.providers.grants), or None when its headers carry static credentials."""
        return None

    def credential_refused(self, status: int, headers: Mapping[str, str]) -> bool:
        """Whether an answer's head says the credential from `token_grant` was refused — the engine
        then drops it and sends once more with a fresh one. A 401, unless the provider says more
        (AWS answers an expired session token with a 403)."""
        return status == 401

    def authorize(self, request: HttpRequest, token: Credential) -> HttpRequest:
        """Put a credential from `token_grant` on a prepared request (default: a token as a bearer
        header; an adapter whose grant yields signing keys signs the request here)."""
        if not isinstance(token, str):
            raise TypeError(f"provider {self.name!r} has no use for signing keys")
        request.headers["authorization"] = f"Bearer {token}"
        return request

    def takes_embedding_task_type(self, deployment: Deployment) -> bool:
        """Whether this deployment's embedding API has a place for the request's `task_type`
        (Gemini's taskType, Cohere's input_type, Voyage's and Jina's roles). Where it has none the
        field is refused, or dropped with drop_params — never silently left out."""
        return False

    def check_embedding_params(
        self, request: EmbeddingRequest, deployment: Deployment, drop: bool
    ) -> EmbeddingRequest:
        """Raise for (or with `drop`, remove) a `task_type` this deployment cannot take."""
        if request.task_type is None or self.takes_embedding_task_type(deployment):
            return request
        if drop:
            return msgspec.structs.replace(request, task_type=None)
        raise UnsupportedParamsError(
            f"provider {self.name!r} does not support parameter task_type for embeddings of "
            f"{deployment.model!r}; remove it or pass drop_params=True",
            provider=self.name,
            model=request.model,
            param="task_type",
        )

    # ---- the call types it serves
    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        """Operation name ("chat", "embedding", "speech"...: calls/operation.py) → the codec pair
        that serves it. A call type the adapter does not serve has no entry, and the engine refuses
        it ("provider 'x' does not support speech"). Built once per adapter (`codecs`)."""
        return {}

    @functools.cached_property
    def codecs(self) -> Mapping[str, Codec[Any, Any]]:
        return self.codec_table()

    def codec(self, operation: str, label: str) -> Codec[Any, Any]:
        """The codec pair for `operation`; a 400 naming the call type (`label`) when the adapter has
        none."""
        codec = self.codecs.get(operation)
        if codec is None:
            raise self.unsupported(label)
        return codec

    @property
    def supports_text_completion(self) -> bool:
        """Whether it has a completions endpoint (without one the engine serves a text completion
        through chat)."""
        return "text_completion" in self.codecs

    # ---- streams (chat, and legacy text completions)
    def chat_stream_decoder(self, request: ChatRequest) -> StreamDecoder:
        raise self.unsupported("streaming")

    def text_stream_decoder(self, request: TextCompletionRequest) -> TextStreamDecoder:
        raise self.unsupported("text completion streaming")

    # ---- calls of more than one exchange
    def follow_up(self, response: HttpResponse, sent: HttpRequest, deployment: Deployment) -> FollowUp | None:
        """After a successful `response` to `sent`: the next request this call needs, or None when
        `response` is the answer. Most providers answer in one exchange; a job API (Replicate) polls
        here, and a stream whose URL comes in a first JSON answer is reached here (a stream-mode
        `prepare_chat` then returns a request with `stream=False`). Pure, like everything here."""
        return None

    # ---- errors
    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        """Map an error response onto the hierarchy. Providers override `error_message` (or
        `error_details`) for their body shape; the status decides the class, refined for 400s by the
        error code and message (context window, content policy)."""
        details = self.error_details(body)
        message = self.error_message(body) or f"HTTP {status}"
        cls = error_class_for_status(status)
        if cls is BadRequestError:
            cls = refine_bad_request(message, details.code)
        return cls(
            message,
            provider=self.name,
            status_code=status,
            retry_after=parse_retry_after(headers),
            code=details.code,
            param=details.param,
        )

    def error_message(self, body: bytes) -> str | None:
        """The human message in an error body; default reads OpenAI's {"error": {"message"}}."""
        return openai_style_error_message(body)

    def error_details(self, body: bytes) -> ErrorDetails:
        """Machine-readable parts of an error body; default reads OpenAI's {"error": {"code", "param"}}."""
        return openai_style_error_details(body)

    # ---- pricing
    def catalog_model(self, deployment: Deployment) -> str:
        """The model name the catalog knows this deployment by (prices, capabilities). The provider's
        model id, except where that id names something else (an Azure deployment)."""
        return deployment.model

    def catalog_fallback(self, deployment: Deployment) -> str | None:
        """A `provider/model` catalog key to price by when the catalog has no entry under this
        provider (a reseller's model at its maker's list price), or None."""
        return None

    # ---- placement
    def serving_region(self, deployment: Deployment) -> str | None:
        """The cloud region this deployment is served from, as the provider names it ("eu-west-1",
        "europe-west4", "westeurope"), or None when the deployment does not say (the router then
        counts it in no region: llmrelay.router.regions)."""
        return None

    # ---- helpers
    def unsupported(self, what: str) -> LLMError:
        return BadRequestError(f"provider {self.name!r} does not support {what}", provider=self.name)

    def api_key(self, deployment: Deployment) -> str:
        """The deployment's key, else the provider's usual environment variable."""
        if deployment.api_key:
            return deployment.api_key
        for var in self.api_key_env:
            value = os.environ.get(var)
            if value:
                return value
        if not self.requires_api_key:
            return ""
        names = " or ".join(self.api_key_env) or "api_key"
        raise AuthenticationError(
            f"no API key: pass api_key= or set {names}", provider=self.name, model=deployment.model
        )

    def api_base(self, deployment: Deployment) -> str:
        if deployment.api_base:
            return deployment.api_base.rstrip("/")
        for var in self.api_base_env:
            value = os.environ.get(var)
            if value:
                return value.rstrip("/")
        if not self.default_api_base:
            env = " or ".join(self.api_base_env)
            hint = f" or set {env}" if env else ""
            raise BadRequestError(
                f"provider {self.name!r} has no default endpoint: pass api_base={hint}",
                provider=self.name,
                model=deployment.model,
                param="api_base",
            )
        return self.default_api_base

    def _unsupported_fields(self) -> tuple[str, ...]:
        """ChatRequest fields outside `supported_params`, computed once per adapter (hot path: only
        these need looking at on each call)."""
        cached: tuple[frozenset[str], tuple[str, ...]] | None = self.__dict__.get("_unsupported_cache")
        if cached is None or cached[0] is not self.supported_params:
            fields = tuple(
                f
                for f in ChatRequest.__struct_fields__
                if f not in CALL_FIELDS and f not in self.supported_params
            )
            cached = (self.supported_params, fields)
            self.__dict__["_unsupported_cache"] = cached
        return cached[1]

    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        """Raise for (or with `drop`, remove) optional fields this provider cannot take. Fields whose
        value cannot change the answer here (`moot_fields`) are removed first, whatever `drop` says."""
        unsupported = [f for f in self._unsupported_fields() if getattr(request, f) is not None]
        if not unsupported:
            return request
        moot = moot_fields(request, unsupported)
        if moot:
            request = msgspec.structs.replace(request, **dict.fromkeys(moot))
            unsupported = [f for f in unsupported if f not in moot]
        if not unsupported:
            return request
        if drop:
            return msgspec.structs.replace(request, **dict.fromkeys(unsupported))
        raise UnsupportedParamsError(
            f"provider {self.name!r} does not support parameter(s) {', '.join(sorted(unsupported))}; "
            "remove them or pass drop_params=True",
            provider=self.name,
            model=request.model,
            param=sorted(unsupported)[0],
        )


# OpenAI fields that steer how a call is served, logged or billed, never what the model says: a
# provider without them answers the same without them, so they are removed instead of refused.
SERVING_HINTS = frozenset({"safety_identifier", "prompt_cache_key", "store", "service_tier"})


def moot_fields(request: ChatRequest, unsupported: list[str]) -> list[str]:
    """The unsupported fields of `request` whose value cannot change the answer: serving hints, and
    `parallel_tool_calls: false` when at most one tool could be called (LangChain's structured
    output, llama-index and the OpenAI Agents SDK send it with one tool or none)."""
    moot = [f for f in unsupported if f in SERVING_HINTS]
    if "parallel_tool_calls" in unsupported and request.parallel_tool_calls is False:
        if request.tool_choice == "none":
            callable_tools = 0
        elif isinstance(request.tool_choice, NamedToolChoice):
            callable_tools = 1
        else:
            callable_tools = len(request.tools or ())
        if callable_tools <= 1:
            moot.append("parallel_tool_calls")
    return moot


class ErrorDetails(msgspec.Struct):
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None


class _WireErrorDetails(msgspec.Struct):
    # loosely typed: providers send numbers or objects where OpenAI sends strings
    message: Any = None
    type: Any = None
    code: Any = None
    param: Any = None


class _ErrorEnvelope(msgspec.Struct):
    error: _WireErrorDetails | str | None = None
    message: Any = None


_error_decoder = msgspec.json.Decoder(_ErrorEnvelope)
_NO_DETAILS = ErrorDetails()


def _decode_error(body: bytes) -> _ErrorEnvelope | None:
    try:
        return _error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def openai_style_error_message(body: bytes) -> str | None:
    """Read {"error": {"message": ...}}, {"error": "..."} or {"message": ...}; else the raw text."""
    env = _decode_error(body)
    if env is None:
        text = body.decode("utf-8", errors="replace").strip()
        return text[:500] or None
    if isinstance(env.error, _WireErrorDetails) and env.error.message:
        return str(env.error.message)
    if isinstance(env.error, str):
        return env.error
    return str(env.message) if env.message else None


def openai_style_error_details(body: bytes) -> ErrorDetails:
    """{"error": {"type", "code", "param"}}; `code` may be a string or a number in the wild."""
    env = _decode_error(body)
    if env is None or not isinstance(env.error, _WireErrorDetails):
        return _NO_DETAILS
    e = env.error
    return ErrorDetails(
        message=_text(e.message), type=_text(e.type), code=_text(e.code), param=_text(e.param)
    )


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


def join_url(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")
