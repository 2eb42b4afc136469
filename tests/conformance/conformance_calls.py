"""Running one canonical call of a case through its adapter, sans IO: the canonical request of each
call type, the requests it prepares, the parse of its recorded answer, the decode of its recorded
stream."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import msgspec
from conformance_case import TESTS, AdapterCase

from llmrelay.providers.base import Codec, Provider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing.bedrock_wire import event, exception
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.image import ImageGenerationRequest
from llmrelay.types.moderation import ModerationRequest
from llmrelay.types.rerank import RerankRequest

# call type of a case → the operation whose codec serves it (the adapter's codec table)
_OPERATION = {
    "chat": "chat", "stream": "chat", "embedding": "embedding", "text_completion": "text_completion",
    "text_stream": "text_completion", "rerank": "rerank", "moderation": "moderation",
    "image": "image_generation",
}  # fmt: skip


def codec(adapter: Provider, call: str) -> Codec[Any, Any]:
    """The adapter's codec for a case's call type; the engine's refusal when it has none."""
    return adapter.codec(_OPERATION[call], f"the {call} call")


def adapter_for(case: AdapterCase, call: str = "chat") -> Provider:
    """A fresh adapter from a fresh registry (no state shared between checks)."""
    return ProviderRegistry().get(case.provider).for_deployment(case.deployment_for(call))


def request_of(case: AdapterCase, call: str, adapter: Provider) -> Any:
    request = canonical_request(case, call)
    if isinstance(request, ChatRequest):
        request = adapter.check_params(request, drop=False)
    return request


def prepare(case: AdapterCase, call: str) -> HttpRequest:
    adapter = adapter_for(case, call)
    return codec(adapter, call).prepare(request_of(case, call, adapter), case.deployment_for(call))


def sent_requests(case: AdapterCase, call: str) -> list[HttpRequest]:
    """What the call puts on the wire: the prepared request, and for a call of two exchanges the
    request its recorded first answer leads to."""
    adapter = adapter_for(case, call)
    deployment = case.deployment_for(call)
    first = codec(adapter, call).prepare(request_of(case, call, adapter), deployment)
    sent = [first]
    reference = case.first_answers.get(call)
    if reference is not None:
        answer = HttpResponse(status=201, body=recorded_bytes(reference), headers={})
        follow = adapter.follow_up(answer, first, deployment)
        assert follow is not None, "the recorded first answer leads nowhere"
        sent.append(follow.request)
    return sent


def parse(case: AdapterCase, call: str) -> Any:
    adapter = adapter_for(case, call)
    answer = HttpResponse(status=200, body=recorded_bytes(case.answers[call]), headers={})
    return codec(adapter, call).parse(answer, request_of(case, call, adapter))


def new_decoder(case: AdapterCase, call: str) -> Callable[[], Any]:
    adapter = adapter_for(case, call)
    request = request_of(case, call, adapter)
    if call == "stream":
        return lambda: adapter.chat_stream_decoder(request)
    return lambda: adapter.text_stream_decoder(request)


def decode(case: AdapterCase, call: str, pieces: list[bytes]) -> list[Any]:
    """Every chunk a fresh decoder makes of these reads, then those of the stream's end."""
    decoder = new_decoder(case, call)()
    out: list[Any] = []
    for piece in pieces:
        out.extend(decoder.feed(piece))
    out.extend(decoder.end())
    return out


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


def _frame(kind: str, payload: Any, form: str = "event") -> bytes:
    if form == "raw":
        return event(kind, payload.encode())
    if form == "invoke":
        inner = base64.b64encode(msgspec.json.encode(payload)).decode()
        return event(kind, msgspec.json.encode({"bytes": inner}))
    return (exception if form == "exception" else event)(kind, msgspec.json.encode(payload))


def recorded_bytes(reference: str) -> bytes:
    """A recorded answer: a file under tests/, or (`path#key`) one key of a JSON file, re-encoded.
    Bedrock's binary event stream is recorded as a list of [event type, payload] and framed here."""
    path, _, key = reference.partition("#")
    file = TESTS / path
    if key:
        return msgspec.json.encode(msgspec.json.decode(file.read_bytes())[key])
    if file.name.endswith(".events.json"):
        # [type, payload] is an event; [type, payload, "exception"] an exception message; [type,
        # text, "raw"] an event whose payload is the text's bytes as they are (SageMaker's PayloadPart);
        # [type, payload, "invoke"] an InvokeModel stream event carrying the payload as base64 `bytes`
        frames = msgspec.json.decode(file.read_bytes())
        return b"".join(_frame(*kind) for kind in frames)
    return file.read_bytes()
