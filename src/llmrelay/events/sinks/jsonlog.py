"""One JSON object per finished call, one per line, to a file or stdout.

What is written is chosen field by field (an allowlist), so nothing secret leaks by accident: no keys,
no headers, no api_base credentials, and no message contents unless `log_messages` is set. Error
messages from providers sometimes echo a key prefix; anything shaped like a key is masked.

Hooks run wherever the router delivers records (its callback thread, or a background task on the
gateway's serving loop). Lines are buffered and written at most every `flush_seconds` (or when the
buffer grows past `flush_bytes`): one write per interval, never one per request."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
from typing import IO, Any

import msgspec

from llmrelay.events.record import CallRecord
from llmrelay.private_files import open_private
from llmrelay.types.errors import LLMError

_KEYLIKE = re.compile(r"(sk-|sk_|key-|Bearer\s+|AIza)[A-Za-z0-9_\-.]{4,}")
_MAX_ERROR_CHARS = 500
_NO_METADATA: dict[str, Any] = {}


def mask_secrets(text: str) -> str:
    return _KEYLIKE.sub(lambda m: m.group(1) + "***", text)


# The line is built as Structs, not dicts: on the serving loop's hot path, msgspec builds and
# encodes them in about half the time. Field order is key order; a field with a default is left out
# while None (omit_defaults). gc=False: they hold no reference cycles, so the collector can skip them.


class _Error(msgspec.Struct, gc=False):
    type: str
    status_code: int
    code: str | None
    message: str


class _Principal(msgspec.Struct, omit_defaults=True, gc=False):
    """The caller's identity: only the facts it has."""

    kind: Any = None
    key_hash: Any = None
    key_alias: Any = None
    user_id: Any = None
    team_id: Any = None
    organization_id: Any = None


class LogLine(msgspec.Struct, omit_defaults=True, gc=False):
    """One call's log line, as `JsonLogSink.line` builds it and its encoder writes it."""

    ts: float
    call_id: str
    call_type: str
    model: str
    model_group: str | None
    provider: str | None
    deployment: str | None
    stream: bool
    status: str
    latency_s: float
    attempts: int
    cost_usd: float
    ttft_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    error: _Error | None = None
    # caller facts from the metadata; the rest of it (client-sent values, objects) is not logged
    request_id: Any = None
    endpoint: Any = None
    tags: Any = None
    fallback_from: Any = None
    user: Any = None
    principal: _Principal | None = None
    cache_hit: bool = False
    messages: Any = None
    response: Any = None


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
        self._last_principal: tuple[Any, _Principal] = (None, _Principal())
        # the lines not written yet, each encoded straight onto the end (no bytes object per line)
        self._pending = bytearray()
        self._flush_scheduled = False
        # hooks run on one thread, close() may come from another
        self._lock = threading.Lock()

    def line(self, record: CallRecord) -> LogLine:
        """The logged object for one record (what `_add` encodes)."""
        usage = record.usage
        error = record.error
        ttft = record.time_to_first_token_s
        get = (record.metadata or _NO_METADATA).get
        principal = get("principal")
        # positional, in LogLine's field order: 23 keywords would cost more than the rest of line()
        entry = LogLine(
            round(record.end_time, 6),
            record.call_id,
            record.call_type,
            record.model,
            record.model_group,
            record.provider,
            record.deployment,
            record.stream,
            "ok" if error is None else "error",
            round(record.latency_s, 6),
            record.attempts,
            record.cost_micros / 1_000_000,
            None if ttft is None else round(ttft, 6),
            None if usage is None else usage.prompt_tokens,
            None if usage is None else usage.completion_tokens,
            None if usage is None else usage.total_tokens,
            None if error is None else _error(error),
            get("request_id"),
            get("endpoint"),
            get("tags"),
            get("fallback_from"),
            get("user"),
            None if principal is None else self._principal(principal),
            record.cache_hit,
        )
        if self.log_messages:
            messages = getattr(record.request, "messages", None)
            if messages is not None:
                entry.messages = msgspec.to_builtins(messages)
            if record.response is not None:
                entry.response = msgspec.to_builtins(record.response)
        return entry

    def _principal(self, principal: Any) -> _Principal:
        # the master key's principal is one object for every request: an immutable principal's facts
        # are kept until the next one (in one tuple, so racing hooks never mix two principals' facts)
        last, facts = self._last_principal
        if principal is not last:
            facts = _principal(principal)
            if _frozen(principal):
                self._last_principal = (principal, facts)
        return facts

    # ---- router hooks: every one logs its record the same way (one method under three names, not
    # three methods calling a fourth: one frame less per record)
    def on_success(self, record: CallRecord) -> None:
        entry = self.line(record)
        with self._lock:
            pending = self._pending
            self._encoder.encode_into(entry, pending, -1)
            pending.append(10)  # "\n"
            if len(pending) >= self._flush_bytes:
                self._write_pending()
                return
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        try:
            asyncio.get_running_loop().call_later(self._flush_seconds, self.flush)
        except RuntimeError:  # called outside a loop (a sync test): write now
            self.flush()

    on_stream_complete = on_success
    on_failure = on_success

    def flush(self) -> None:
        with self._lock:
            self._write_pending()

    def _write_pending(self) -> None:
        self._flush_scheduled = False
        if not self._pending:
            return
        text = self._pending.decode()
        self._pending.clear()
        out = self._output()
        out.write(text)
        out.flush()

    def _output(self) -> IO[str]:
        if self._stream is None:
            if self.path in (None, "", "-"):
                self._stream = sys.stdout
            else:
                # the call log is created 0600: it says who called what (llmrelay.private_files)
                fd = open_private(self.path, os.O_WRONLY | os.O_APPEND)
                self._stream = open(fd, "a", encoding="utf-8")  # noqa: SIM115 - kept open
                self._owns_stream = True
        return self._stream

    def close(self) -> None:
        with self._lock:
            self._write_pending()
            if self._owns_stream and self._stream is not None:
                self._stream.close()
                self._stream = None
                self._owns_stream = False


def _error(error: LLMError) -> _Error:
    return _Error(
        type(error).__name__,
        error.status_code,
        error.code,
        mask_secrets(error.message[:_MAX_ERROR_CHARS]),
    )


def _principal(principal: Any) -> _Principal:
    return _Principal(
        getattr(principal, "kind", None),
        getattr(principal, "key_hash", None),
        getattr(principal, "key_alias", None),
        getattr(principal, "user_id", None),
        getattr(principal, "team_id", None),
        getattr(principal, "organization_id", None),
    )


def _frozen(obj: Any) -> bool:
    config = getattr(type(obj), "__struct_config__", None)
    return config is not None and bool(config.frozen)
