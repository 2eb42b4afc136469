"""Where a gateway worker's own log records go: stderr, one line each, as text or as JSON.

llmrelay's modules log under the `llmrelay` logger (callback failures, spend writer retries, health
checks, key sync). Without a handler those records would reach Python's last-resort handler, bare and
only from WARNING up. LiteLLM's settings choose the shape: `litellm_settings.json_logs: true` (or
`JSON_LOGS=true` in the environment, as LiteLLM reads it) writes JSON lines for log collectors;
`litellm_settings.set_verbose: true` or `llmrelay serve --debug` lowers the level to DEBUG.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from typing import IO

import msgspec

LOGGER = "llmrelay"
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _LogLine(msgspec.Struct, omit_defaults=True):
    ts: str
    level: str
    logger: str
    message: str
    exception: str | None = None


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and the traceback
    when there is one."""

    @staticmethod
    def converter(seconds: float | None) -> time.struct_time:  # UTC, as the "Z" says
        return time.gmtime(seconds)

    def __init__(self) -> None:
        super().__init__()
        self._encoder = msgspec.json.Encoder()

    def format(self, record: logging.LogRecord) -> str:
        stamp = f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')}.{int(record.msecs):03d}Z"
        line = _LogLine(
            ts=stamp,
            level=record.levelname,
            logger=record.name,
            message=record.getMessage(),
            exception=self.formatException(record.exc_info) if record.exc_info else None,
        )
        return self._encoder.encode(line).decode()


def wants_json(json_logs: bool | None, environ: Mapping[str, str]) -> bool:
    if json_logs is not None:
        return json_logs
    return environ.get("JSON_LOGS", "").strip().lower() in ("1", "true", "yes")


def configure_logging(*, json_logs: bool, debug: bool, stream: IO[str] | None = None) -> logging.Handler:
    """Give the `llmrelay` logger one handler (replacing one set here before, so a second call does
    not double every line). Returns the handler."""
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        if getattr(handler, "_llmrelay_handler", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonLineFormatter() if json_logs else logging.Formatter(_TEXT_FORMAT))
    handler._llmrelay_handler = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    # the records are written here; the root logger (another library's setup) does not repeat them
    logger.propagate = False
    return handler
