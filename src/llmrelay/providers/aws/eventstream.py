"""AWS's binary event stream (`application/vnd.amazon.eventstream`), as Bedrock's
InvokeModelWithResponseStream and SageMaker's InvokeEndpointWithResponseStream answer: framing and
CRC checks are botocore's EventStreamBuffer (sans-IO: bytes in, complete messages out); an exception
message raises the error it names (`:exception-type`, its JSON payload's message).

SageMaker's `PayloadPart` events carry a container's own answer bytes, cut anywhere (an SSE line may
span two parts): `PayloadStreamDecoder` joins them back and hands them to the decoder of whatever
the container streams (TGI's SSE, OpenAI's)."""

from __future__ import annotations

from llmrelay.providers.aws.optional import missing_botocore
from llmrelay.providers.base import StreamDecoder
from llmrelay.providers.bedrock.errors import build_error, decode_payload
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import ChatChunk

# HTTP statuses the service models give the in-stream exceptions
_STREAM_STATUS = {
    "internalserverexception": 500, "internalstreamfailure": 500, "modelstreamerrorexception": 424,
    "modelstreamerror": 424, "validationexception": 400, "throttlingexception": 429,
    "serviceunavailableexception": 503, "modeltimeoutexception": 408,
}  # fmt: skip


class EventMessages:
    """Complete event messages, however the bytes are split: `feed` gives (event type, payload) pairs."""

    def __init__(self, provider: str, model: str) -> None:
        try:
            from botocore.eventstream import EventStreamBuffer
        except ImportError as exc:
            raise missing_botocore(exc, provider) from exc
        self._provider = provider
        self._model = model
        self._buffer = EventStreamBuffer()
        self._pending = 0  # bytes fed but not yet part of a complete message

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        from botocore.eventstream import ParserError

        self._buffer.add_data(data)
        self._pending += len(data)
        out: list[tuple[str, bytes]] = []
        try:
            for message in self._buffer:
                self._pending -= message.prelude.total_length
                headers, payload = message.headers, message.payload
                kind = headers.get(":message-type", "event")
                if kind == "exception":
                    self._raise(str(headers.get(":exception-type") or ""), payload)
                if kind == "error":
                    code = str(headers.get(":error-code") or "")
                    self._raise(code, payload, str(headers.get(":error-message") or code or "stream error"))
                out.append((str(headers.get(":event-type") or ""), payload))
        except ParserError as exc:
            raise InternalServerError(
                f"malformed {self._provider} event stream: {type(exc).__name__}: {exc}",
                provider=self._provider,
                model=self._model,
            ) from exc
        return out

    def end(self) -> None:
        if self._pending:
            raise APIConnectionError(
                f"{self._provider} stream cut in the middle of an event",
                provider=self._provider,
                model=self._model,
            )

    def _raise(self, name: str, payload: bytes, fallback: str = "stream error") -> None:
        decoded = decode_payload(payload)
        message = (decoded.text() if decoded is not None else None) or fallback
        error = build_error(name, message, _STREAM_STATUS.get(name.lower(), 500))
        error.provider, error.model = self._provider, self._model
        raise error


class PayloadParts:
    """The container's bytes, from the PayloadPart events of an event stream."""

    def __init__(self, provider: str, model: str) -> None:
        self._messages = EventMessages(provider, model)

    def feed(self, data: bytes) -> bytes:  # the container's bytes in these messages
        return b"".join(payload for kind, payload in self._messages.feed(data) if kind == "PayloadPart")

    def end(self) -> None:
        self._messages.end()


class PayloadStreamDecoder:
    """A decoder of the container's own stream, fed the bytes of its PayloadPart events."""

    def __init__(self, inner: StreamDecoder, provider: str, model: str) -> None:
        self._parts = PayloadParts(provider, model)
        self._inner = inner

    def feed(self, data: bytes) -> list[ChatChunk]:
        payload = self._parts.feed(data)
        return self._inner.feed(payload) if payload else []

    def end(self) -> list[ChatChunk]:
        self._parts.end()
        return self._inner.end()
