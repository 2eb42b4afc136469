"""Running one canonical call of a case through its adapter, sans IO: the requests it prepares, the
parse of its recorded answer, the decode of its recorded stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance_cases import AdapterCase, canonical_request, recorded_bytes

from llmrelay.providers.base import Provider
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.chat import ChatRequest
from llmrelay.types.http import HttpRequest, HttpResponse

# call type → the adapter's prepare and parse methods for it
_PREPARE: dict[str, Callable[[Provider, Any, Any], HttpRequest]] = {
    "chat": lambda a, r, d: a.prepare_chat(r, d),
    "stream": lambda a, r, d: a.prepare_chat(r, d),
    "embedding": lambda a, r, d: a.prepare_embedding(r, d),
    "text_completion": lambda a, r, d: a.prepare_text_completion(r, d),
    "text_stream": lambda a, r, d: a.prepare_text_completion(r, d),
    "rerank": lambda a, r, d: a.prepare_rerank(r, d),
    "moderation": lambda a, r, d: a.prepare_moderation(r, d),
    "image": lambda a, r, d: a.prepare_image_generation(r, d),
}
_PARSE: dict[str, Callable[[Provider, HttpResponse, Any], Any]] = {
    "chat": lambda a, h, r: a.parse_chat(h, r),
    "embedding": lambda a, h, r: a.parse_embedding(h, r),
    "text_completion": lambda a, h, r: a.parse_text_completion(h, r),
    "rerank": lambda a, h, r: a.parse_rerank(h, r),
    "moderation": lambda a, h, r: a.parse_moderation(h, r),
    "image": lambda a, h, r: a.parse_image_generation(h, r),
}


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
    return _PREPARE[call](adapter, request_of(case, call, adapter), case.deployment_for(call))


def sent_requests(case: AdapterCase, call: str) -> list[HttpRequest]:
    """What the call puts on the wire: the prepared request, and for a call of two exchanges the
    request its recorded first answer leads to."""
    adapter = adapter_for(case, call)
    deployment = case.deployment_for(call)
    first = _PREPARE[call](adapter, request_of(case, call, adapter), deployment)
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
    return _PARSE[call](adapter, answer, request_of(case, call, adapter))


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
