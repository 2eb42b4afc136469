"""AWS's binary event stream (`application/vnd.amazon.eventstream`), as Bedrock's
InvokeModelWithResponseStream and SageMaker's InvokeEndpointWithResponseStream answer: framing and
CRC checks are botocore's EventStreamBuffer (sans-IO: bytes in, complete messages out); an exception
message raises the error it names (`:exception-type`, its JSON payload's message)."""

from __future__ import annotations

from llmrelay.providers.aws.optional import missing_botocore
from llmrelay.providers.bedrock.errors import build_error, decode_payload
from llmrelay.types.errors import APIConnectionError, InternalServerError

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
