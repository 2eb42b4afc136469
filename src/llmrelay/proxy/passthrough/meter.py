"""Usage read from a pass-through answer, by the provider adapter's own parser: the relayed bytes are
never changed, they are only also fed to the parser (a stream's decoder, or the whole answer's).

Metered: Anthropic Messages (also on Vertex AI), OpenAI chat completions (a stream only when the
client asked for `stream_options.include_usage`), Gemini generateContent / streamGenerateContent
(also on Vertex AI), Cohere v2 chat, Bedrock Converse and ConverseStream. Any other answer carries
no usage the gateway reads: it is logged at cost 0 with its route."""

from __future__ import annotations

import logging
import re

import msgspec

from llmrelay.providers.base import Provider, StreamDecoder
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import LLMError
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import Usage

log = logging.getLogger("llmrelay.proxy")

_GEMINI_ACTION = re.compile(r"/models/[^/:]+:(generateContent|streamGenerateContent)$")
_VERTEX_CLAUDE = re.compile(r"/publishers/anthropic/models/[^/:]+:(rawPredict|streamRawPredict)$")
_BEDROCK_CONVERSE = re.compile(r"^/model/[^/]+/(converse|converse-stream)$")


def metered_format(provider: str, subpath: str) -> str | None:
    """The wire format whose parser reads the usage of an answer to `subpath`, or None."""
    if provider == "anthropic" and subpath == "/v1/messages":
        return "anthropic"
    if provider == "openai" and subpath.endswith("/chat/completions"):
        return "openai"
    if provider == "cohere" and subpath == "/v2/chat":
        return "cohere"
    if provider in ("gemini", "vertex_ai") and _GEMINI_ACTION.search(subpath):
        return "gemini"
    if provider == "vertex_ai" and _VERTEX_CLAUDE.search(subpath):
        return "anthropic"
    if provider == "bedrock" and _BEDROCK_CONVERSE.match(subpath):
        return "bedrock"
    return None


class UsageMeter:
    """Reads usage from an answer as it is relayed. A parser that fails (an answer in a shape it does
    not know, an error event) stops the metering, logged once: the answer itself still goes out."""

    __slots__ = ("_adapter", "_decoder", "_request", "_stopped", "usage")

    def __init__(self, adapter: Provider, model: str) -> None:
        self._adapter = adapter
        self._request = ChatRequest(model=model, messages=[])
        self._decoder: StreamDecoder | None = None
        self._stopped = False
        self.usage: Usage | None = None

    def feed(self, data: bytes) -> None:
        """A piece of a streamed answer."""
        if self._stopped:
            return
        try:
            if self._decoder is None:
                self._decoder = self._adapter.chat_stream_decoder(self._request)
            for chunk in self._decoder.feed(data):
                if chunk.usage is not None:
                    self.usage = chunk.usage
        except (LLMError, msgspec.DecodeError, ValueError) as exc:
            self._stop(exc)

    def end(self) -> None:
        """The streamed answer ended."""
        if self._stopped or self._decoder is None:
            return
        try:
            for chunk in self._decoder.end():
                if chunk.usage is not None:
                    self.usage = chunk.usage
        except (LLMError, msgspec.DecodeError, ValueError) as exc:
            self._stop(exc)

    def whole(self, body: bytes) -> None:
        """A whole (non-streamed) successful answer."""
        try:
            parse = self._adapter.codec("chat", "chat completions").parse
            parsed = parse(HttpResponse(status=200, body=body), self._request)
        except (LLMError, msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            self._stop(exc)
            return
        self.usage = parsed.usage

    def _stop(self, exc: Exception) -> None:
        self._stopped = True
        log.info("pass-through answer not metered: %s (%s)", type(exc).__name__, self._adapter.name)


def meter_for(
    registry: ProviderRegistry, provider: str, subpath: str, model: str | None
) -> UsageMeter | None:
    """The meter of an answer to `subpath`, when its format carries usage and the call names a model."""
    wire = metered_format(provider, subpath)
    if wire is None or not model:
        return None
    return UsageMeter(registry.get(wire), model)
