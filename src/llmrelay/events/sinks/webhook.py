"""Generic webhook (LiteLLM's `generic_api`): call records POSTed as JSON to an endpoint of the
user's, batched and retried off the request path (`http_batch.BatchPoster`).

Each record is the JSON log's line (`JsonLogSink.line`: an allowlist of fields; no keys, key-like
text in error messages masked; message contents only with `log_messages`). `log_format`:
`json_array` (default: one JSON array per request), `ndjson` (one object per line), or `single`
(one object per request). Headers (an Authorization token, typically) are sent, never logged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from llmrelay.events.record import CallRecord
from llmrelay.events.sinks.headers import parse_headers
from llmrelay.events.sinks.http_batch import BatchPoster
from llmrelay.events.sinks.jsonlog import JsonLogSink
from llmrelay.version import __version__

LOG_FORMATS = ("json_array", "ndjson", "single")
# LiteLLM's event_types names → the hooks that hear them
EVENT_TYPES = {
    "llm_api_success": ("on_success", "on_stream_complete"),
    "llm_api_failure": ("on_failure",),
}


class WebhookSink:
    # hooks build a line and queue it; posting happens on the poster's thread
    loop_safe = True

    def __init__(
        self,
        endpoint: str,
        *,
        headers: Mapping[str, str] | str | None = None,
        log_messages: bool = False,
        log_format: str = "json_array",
        event_types: Sequence[str] | None = None,
        batch_size: int = 100,
        max_queue: int = 10_000,
        flush_interval: float = 1.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        timeout: float = 10.0,
        close_timeout: float = 10.0,
    ) -> None:
        if not endpoint:
            raise ValueError("the webhook needs an endpoint (GENERIC_LOGGER_ENDPOINT)")
        if log_format not in LOG_FORMATS:
            raise ValueError(f"log_format {log_format!r} is not one of {', '.join(LOG_FORMATS)}")
        unknown = [e for e in event_types or () if e not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"event_types {unknown} not known (known: {', '.join(EVENT_TYPES)})")
        self.endpoint = endpoint
        self.log_messages = log_messages
        self.wants_contents = log_messages
        self.log_format = log_format
        self._hooks = {h for e in (event_types or EVENT_TYPES) for h in EVENT_TYPES[e]}
        # builds the lines only: it never opens or writes a file
        self._lines = JsonLogSink(log_messages=log_messages)
        self._encoder = msgspec.json.Encoder()
        sent_headers = {"Content-Type": "application/json", "User-Agent": f"llmrelay/{__version__}"}
        if log_format == "ndjson":
            sent_headers["Content-Type"] = "application/x-ndjson"
        if headers:
            sent_headers.update(parse_headers(headers, "webhook headers"))
        self.poster = BatchPoster(
            name="webhook",
            url=endpoint,
            headers=sent_headers,
            encode=self._encode,
            batch_size=1 if log_format == "single" else batch_size,
            max_queue=max_queue,
            flush_interval=flush_interval,
            max_retries=max_retries,
            backoff_base=backoff_base,
            timeout=timeout,
            close_timeout=close_timeout,
        )

    @classmethod
    def from_settings(
        cls, options: Mapping[str, Any], env: Mapping[str, str], **overrides: Any
    ) -> WebhookSink:
        """`callback_settings.generic_api` first, then GENERIC_LOGGER_ENDPOINT and
        GENERIC_LOGGER_HEADERS (`name=value,name2=value2`)."""
        return cls(
            str(options.get("endpoint") or env.get("GENERIC_LOGGER_ENDPOINT") or ""),
            headers=options.get("headers") or env.get("GENERIC_LOGGER_HEADERS"),
            log_format=str(options.get("log_format") or "json_array"),
            event_types=options.get("event_types"),
            **overrides,
        )

    def __repr__(self) -> str:
        return f"WebhookSink({self.poster.where!r})"

    # ---- router hooks
    def on_success(self, record: CallRecord) -> None:
        self._add("on_success", record)

    def on_stream_complete(self, record: CallRecord) -> None:
        self._add("on_stream_complete", record)

    def on_failure(self, record: CallRecord) -> None:
        self._add("on_failure", record)

    def _add(self, hook: str, record: CallRecord) -> None:
        if hook in self._hooks:
            self.poster.add((self._lines.line(record),))

    def _encode(self, lines: Sequence[Any]) -> bytes:
        if self.log_format == "single":
            return self._encoder.encode(lines[0])
        if self.log_format == "ndjson":
            return b"".join(self._encoder.encode(line) + b"\n" for line in lines)
        return self._encoder.encode(list(lines))

    # ---- lifecycle
    def flush(self, timeout: float = 10.0) -> bool:
        return self.poster.flush(timeout)

    def close(self) -> None:
        self.poster.close()

    @property
    def dropped(self) -> int:
        return self.poster.dropped
