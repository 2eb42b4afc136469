"""Langfuse: each call as a trace and a generation, sent through Langfuse's public ingestion API
(POST {host}/api/public/ingestion, a batch of events, Basic auth with the project's public and
secret keys) over aiohttp, batched and retried off the request path (`http_batch.BatchPoster`).

Event shapes (Langfuse's ingestion API): `trace-create` {id, timestamp, name, userId, sessionId,
input, output, metadata, tags, environment, release} and `generation-create` {id, traceId, name,
startTime, endTime, completionStartTime, model, modelParameters, input, output, usageDetails,
costDetails, level, statusMessage, metadata}, each in an envelope {id, type, timestamp, body}. The
envelope ids are derived from the call id, so a retried event is deduplicated by Langfuse.

Langfuse answers 207 with per-event `successes` and `errors`: failed events whose status may pass
later (5xx, 429) are sent again within the batch's retries; the others are logged and counted.

Message contents are sent by default, as LiteLLM's Langfuse logger does (Langfuse is where prompts
are read); `log_messages: false`, or LiteLLM's `turn_off_message_logging`, keeps them out. Never
sent: keys, key hashes, headers, the secret key (it only builds the Authorization header, which is
never logged or shown in a repr)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from llmrelay.events.record import CallRecord
from llmrelay.events.sinks.facts import caller_facts, error_facts, error_message, request_messages
from llmrelay.events.sinks.genai import span_name
from llmrelay.events.sinks.http_batch import BatchPoster
from llmrelay.events.sinks.throttled_log import ThrottledLog
from llmrelay.version import __version__

log = logging.getLogger("llmrelay.sinks.langfuse")

DEFAULT_HOST = "https://cloud.langfuse.com"
INGESTION_PATH = "/api/public/ingestion"
# Langfuse refuses batches over 3.5 MB
MAX_BATCH_BYTES = 3_500_000

# request fields → modelParameters
_MODEL_PARAMETERS = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "n",
    "reasoning_effort",
)
# client metadata keys LiteLLM's Langfuse logger reads, that llmrelay honours too
_TRACE_ID = "trace_id"
_SESSION_ID = "session_id"
_TRACE_NAME = "trace_name"
_GENERATION_NAME = "generation_name"


class LangfuseSink:
    # hooks build two small dicts and queue them; posting happens on the poster's thread
    loop_safe = True

    def __init__(
        self,
        *,
        public_key: str,
        secret_key: str,
        host: str = DEFAULT_HOST,
        log_messages: bool = True,
        environment: str | None = None,
        release: str | None = None,
        batch_size: int = 100,
        max_queue: int = 10_000,
        flush_interval: float = 1.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        timeout: float = 10.0,
        close_timeout: float = 10.0,
    ) -> None:
        if not public_key or not secret_key:
            raise ValueError(
                "Langfuse needs a public and a secret key (LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY)"
            )
        self.log_messages = log_messages
        # a relayed stream's response is decoded for the records only if contents are sent
        self.wants_contents = log_messages
        self.host = host.rstrip("/")
        self.public_key = public_key
        self.environment = environment
        self.release = release
        token = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(_IngestionAnswer)
        self._rejections = ThrottledLog(log)
        self.rejected = 0
        self.poster = BatchPoster(
            name="langfuse",
            url=self.host + INGESTION_PATH,
            headers={
                "Authorization": f"Basic {token}",
                "Content-Type": "application/json",
                "User-Agent": f"llmrelay/{__version__}",
            },
            encode=self._encode_batch,
            check=self._multi_status,
            batch_size=batch_size,
            max_queue=max_queue,
            max_batch_bytes=MAX_BATCH_BYTES,
            flush_interval=flush_interval,
            max_retries=max_retries,
            backoff_base=backoff_base,
            timeout=timeout,
            close_timeout=close_timeout,
        )

    @classmethod
    def from_settings(
        cls, options: Mapping[str, Any], env: Mapping[str, str], **overrides: Any
    ) -> LangfuseSink:
        """`callback_settings.langfuse` first, then LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY /
        LANGFUSE_HOST (or LANGFUSE_BASE_URL) / LANGFUSE_TRACING_ENVIRONMENT / LANGFUSE_RELEASE."""
        host = options.get("host") or env.get("LANGFUSE_HOST") or env.get("LANGFUSE_BASE_URL") or DEFAULT_HOST
        return cls(
            public_key=str(options.get("public_key") or env.get("LANGFUSE_PUBLIC_KEY") or ""),
            secret_key=str(options.get("secret_key") or env.get("LANGFUSE_SECRET_KEY") or ""),
            host=str(host),
            environment=options.get("environment") or env.get("LANGFUSE_TRACING_ENVIRONMENT"),
            release=options.get("release") or env.get("LANGFUSE_RELEASE"),
            **overrides,
        )

    def __repr__(self) -> str:
        return f"LangfuseSink(host={self.host!r}, public_key={self.public_key!r})"

    # ---- router hooks
    def on_success(self, record: CallRecord) -> None:
        self.poster.add(self.events(record))

    def on_stream_complete(self, record: CallRecord) -> None:
        self.poster.add(self.events(record))

    def on_failure(self, record: CallRecord) -> None:
        self.poster.add(self.events(record))

    # ---- events
    def events(self, record: CallRecord) -> list[dict[str, Any]]:
        """The call's trace-create and generation-create events."""
        meta = record.metadata or {}
        facts = caller_facts(record)
        trace_id = _text(meta.get(_TRACE_ID)) or record.call_id
        start = _iso(record.start_time)
        metadata: dict[str, Any] = {
            "model_group": record.model_group,
            "provider": record.provider,
            "deployment": record.deployment,
            "call_type": record.call_type,
            "stream": record.stream,
            "attempts": record.attempts,
            "latency_s": record.latency_s,
            "cache_hit": record.cache_hit,
            **{k: v for k, v in facts.items() if k != "tags"},
        }
        if record.time_to_first_token_s is not None:
            metadata["time_to_first_token_s"] = record.time_to_first_token_s
        trace: dict[str, Any] = {
            "id": trace_id,
            "timestamp": start,
            "name": _text(meta.get(_TRACE_NAME)) or f"llmrelay-{record.call_type}",
            "metadata": metadata,
        }
        user = facts.get("end_user") or facts.get("user_id")
        if user:
            trace["userId"] = user
        session = _text(meta.get(_SESSION_ID))
        if session:
            trace["sessionId"] = session
        if "tags" in facts:
            trace["tags"] = facts["tags"]
        if self.environment:
            trace["environment"] = self.environment
        if self.release:
            trace["release"] = self.release
        generation = self._generation(record, trace_id, start, metadata)
        if self.log_messages:
            given, answered = request_messages(record), _output(record.response)
            for body in (trace, generation):
                body["input"] = given
                body["output"] = answered
        return [
            _envelope(f"{record.call_id}-trace", "trace-create", start, trace),
            _envelope(f"{record.call_id}-generation", "generation-create", _iso(record.end_time), generation),
        ]

    def _generation(
        self, record: CallRecord, trace_id: str, start: str, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        meta = record.metadata or {}
        response_model = getattr(record.response, "model", None)
        body: dict[str, Any] = {
            "id": record.call_id,
            "traceId": trace_id,
            "name": _text(meta.get(_GENERATION_NAME)) or span_name(record),
            "startTime": start,
            "endTime": _iso(record.end_time),
            # the provider's own model name lets Langfuse match its price table
            "model": response_model if isinstance(response_model, str) and response_model else record.model,
            "metadata": metadata,
            "level": "DEFAULT",
        }
        if self.environment:
            body["environment"] = self.environment
        if record.time_to_first_token_s is not None:
            body["completionStartTime"] = _iso(record.start_time + record.time_to_first_token_s)
        parameters = _model_parameters(record.request)
        if parameters:
            body["modelParameters"] = parameters
        usage = record.usage
        if usage is not None:
            details = {
                "input": usage.prompt_tokens,
                "output": usage.completion_tokens,
                "total": usage.total_tokens,
            }
            if usage.cached_tokens:
                details["cache_read_input_tokens"] = usage.cached_tokens
            if usage.cache_creation_tokens:
                details["cache_creation_input_tokens"] = usage.cache_creation_tokens
            if usage.reasoning_tokens:
                details["reasoning_tokens"] = usage.reasoning_tokens
            body["usageDetails"] = details
        if record.cost_micros:
            # llmrelay's price for the call; without it Langfuse infers one from the model
            body["costDetails"] = {"total": record.cost_micros / 1_000_000}
        error = record.error
        if error is not None:
            body["level"] = "ERROR"
            body["statusMessage"] = f"{type(error).__name__}: {error_message(error)}"
            body["metadata"] = {**metadata, "error": error_facts(error)}
        return body

    def _encode_batch(self, events: Sequence[Any]) -> bytes:
        return self._encoder.encode(
            {"batch": list(events), "metadata": {"sdk_name": "llmrelay", "sdk_version": __version__}}
        )

    def _multi_status(self, status: int, answer: bytes, batch: Sequence[Any]) -> list[Any]:
        """Events of a 207 answer to send again (those whose status may pass later); the others
        that failed are logged and counted."""
        try:
            parsed = self._decoder.decode(answer)
        except msgspec.DecodeError:
            return []  # a 2xx without the per-event report: taken as accepted
        if not parsed.errors:
            return []
        by_id = {event["id"]: event for event in batch}
        retry: list[Any] = []
        for error in parsed.errors:
            event = by_id.get(error.id)
            if event is None:
                continue
            if error.status == 429 or error.status >= 500:
                retry.append(event)
                continue
            self.rejected += 1
            self._rejections.warning(
                "langfuse: event %s (%s) rejected: HTTP %d %s (%d rejected so far)",
                error.id,
                event.get("type"),
                error.status,
                (error.message or "")[:200],
                self.rejected,
            )
        return retry

    # ---- lifecycle
    def flush(self, timeout: float = 10.0) -> bool:
        return self.poster.flush(timeout)

    def close(self) -> None:
        self.poster.close()

    @property
    def dropped(self) -> int:
        return self.poster.dropped


class _IngestionError(msgspec.Struct):
    id: str
    status: int
    message: str | None = None


class _IngestionAnswer(msgspec.Struct):
    successes: list[dict[str, Any]] = msgspec.field(default_factory=list)
    errors: list[_IngestionError] = msgspec.field(default_factory=list)


def _envelope(event_id: str, kind: str, timestamp: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "timestamp": timestamp, "body": body}


def _iso(epoch_seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds, as Langfuse's API examples write them."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _model_parameters(request: Any) -> dict[str, Any]:
    if request is None:
        return {}
    parameters: dict[str, Any] = {}
    for name in _MODEL_PARAMETERS:
        value = getattr(request, name, None)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            parameters[name] = value
    return parameters


def _output(response: Any) -> Any:
    """The answer's message (or each choice's, when there are several), or the response itself."""
    if response is None:
        return None
    choices = getattr(response, "choices", None)
    if choices:
        messages = [
            msgspec.to_builtins(getattr(c, "message", None) or getattr(c, "text", None)) for c in choices
        ]
        return messages[0] if len(messages) == 1 else messages
    data = msgspec.to_builtins(response)
    if isinstance(data, dict) and "data" in data and "created" in data:
        # images: base64 pictures would swamp the trace; what was made, and where, says enough
        return {"images": len(data["data"]), "urls": [d["url"] for d in data["data"] if "url" in d]}
    if isinstance(data, dict) and "data" in data:
        # embeddings: the vectors are noise in a trace; their count says enough
        return {"embeddings": len(data["data"])}
    return data
