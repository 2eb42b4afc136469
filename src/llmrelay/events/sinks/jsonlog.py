"""One JSON object per finished call, one per line, to a file or stdout.

What is written is chosen field by field (an allowlist), so nothing secret leaks by accident: no keys,
no headers, no api_base credentials, and no message contents unless `log_messages` is set. Error
messages from providers sometimes echo a key prefix; anything shaped like a key is masked.

Hooks run wherever the router delivers records (its callback thread, or a background task on the
gateway's serving loop). Lines are buffered and written at most every `flush_seconds` (or when the
buffer grows past `flush_bytes`): one write per interval, never one per request."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from typing import IO, Any

import msgspec

from llmrelay.events.record import CallRecord

# caller facts worth a log line; the rest of the metadata dict (client-sent values, objects) is not
_METADATA_FIELDS = ("request_id", "endpoint", "tags", "fallback_from", "user")
_PRINCIPAL_FIELDS = ("kind", "key_hash", "key_alias", "user_id", "team_id", "organization_id")
_KEYLIKE = re.compile(r"(sk-|sk_|key-|Bearer\s+|AIza)[A-Za-z0-9_\-.]{4,}")
_MAX_ERROR_CHARS = 500


def mask_secrets(text: str) -> str:
    return _KEYLIKE.sub(lambda m: m.group(1) + "***", text)


class JsonLogSink:
    # hooks only buffer lines; the buffer is written once per interval: fine on a serving loop
    loop_safe = True

    def __init__(
        self,
        path: str | None = None,
        *,
        log_messages: bool = False,
        flush_seconds: float = 1.0,
        flush_bytes: int = 64 * 1024,
        stream: IO[str] | None = None,
    ) -> None:
        self.path = path
        self.log_messages = log_messages
        # whether records must carry the response (a relayed stream's is decoded only if so)
        self.wants_contents = log_messages
        self._flush_seconds = flush_seconds
        self._flush_bytes = flush_bytes
        self._stream = stream
        self._owns_stream = False
        self._encoder = msgspec.json.Encoder()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._flush_scheduled = False
        # hooks run on one thread, close() may come from another
        self._lock = threading.Lock()

    # ---- router hooks
    def on_success(self, record: CallRecord) -> None:
        self._add(record)

    def on_stream_complete(self, record: CallRecord) -> None:
        self._add(record)

    def on_failure(self, record: CallRecord) -> None:
        self._add(record)

    def line(self, record: CallRecord) -> dict[str, Any]:
        """The logged object for one record."""
        entry: dict[str, Any] = {
            "ts": round(record.end_time, 6),
            "call_id": record.call_id,
            "call_type": record.call_type,
            "model": record.model,
            "model_group": record.model_group,
            "provider": record.provider,
            "deployment": record.deployment,
            "stream": record.stream,
            "status": "ok" if record.error is None else "error",
            "latency_s": round(record.latency_s, 6),
            "attempts": record.attempts,
            "cost_usd": record.cost_micros / 1_000_000,
        }
        if record.time_to_first_token_s is not None:
            entry["ttft_s"] = round(record.time_to_first_token_s, 6)
        usage = record.usage
        if usage is not None:
            entry["prompt_tokens"] = usage.prompt_tokens
            entry["completion_tokens"] = usage.completion_tokens
            entry["total_tokens"] = usage.total_tokens
        error = record.error
        if error is not None:
            entry["error"] = {
                "type": type(error).__name__,
                "status_code": error.status_code,
                "code": error.code,
                "message": mask_secrets(error.message[:_MAX_ERROR_CHARS]),
            }
        entry.update(_caller(record.metadata))
        if self.log_messages:
            messages = getattr(record.request, "messages", None)
            if messages is not None:
                entry["messages"] = msgspec.to_builtins(messages)
            if record.response is not None:
                entry["response"] = msgspec.to_builtins(record.response)
        return entry

    def _add(self, record: CallRecord) -> None:
        data = self._encoder.encode(self.line(record)) + b"\n"
        with self._lock:
            self._pending.append(data)
            self._pending_bytes += len(data)
            if self._pending_bytes >= self._flush_bytes:
                self._write_pending()
                return
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        try:
            asyncio.get_running_loop().call_later(self._flush_seconds, self.flush)
        except RuntimeError:  # called outside a loop (a sync test): write now
            self.flush()

    def flush(self) -> None:
        with self._lock:
            self._write_pending()

    def _write_pending(self) -> None:
        self._flush_scheduled = False
        if not self._pending:
            return
        text = b"".join(self._pending).decode()
        self._pending.clear()
        self._pending_bytes = 0
        out = self._output()
        out.write(text)
        out.flush()

    def _output(self) -> IO[str]:
        if self._stream is None:
            if self.path in (None, "", "-"):
                self._stream = sys.stdout
            else:
                self._stream = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
                self._owns_stream = True
        return self._stream

    def close(self) -> None:
        with self._lock:
            self._write_pending()
            if self._owns_stream and self._stream is not None:
                self._stream.close()
                self._stream = None
                self._owns_stream = False


def _caller(metadata: dict[str, Any] | None) -> dict[str, Any]:
    if not metadata:
        return {}
    out = {name: metadata[name] for name in _METADATA_FIELDS if metadata.get(name) is not None}
    principal = metadata.get("principal")
    if principal is not None:
        facts = {name: getattr(principal, name, None) for name in _PRINCIPAL_FIELDS}
        out["principal"] = {k: v for k, v in facts.items() if v is not None}
    return out
