"""Fault controls: what a simulator should do wrong, set from Python or per request by header.

A `Fault` describes one misbehaviour (an error status, slowness, a cut or broken stream...). The
`FaultControls` of a simulator hold the faults set from tests; the `x-sim-fault` request header
carries one fault for that request only, so a process that cannot reach the Python object (a gateway
under test, a benchmark) can still ask for it.

Header syntax: `;`-separated items, each `name=value` or a bare flag, e.g.
`x-sim-fault: status=429; retry-after=2` or `x-sim-fault: cut-after=3; chunk-delay=0.05`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

ErrorKind = Literal["context_window", "content_policy"]


@dataclass(frozen=True, slots=True)
class Fault:
    """One misbehaviour. Fields left at their default do nothing.

    status        answer with this HTTP status and the provider's own error body
    retry_after   seconds, sent as `retry-after` with the error (and `retry-after-ms` for OpenAI)
    message       the error message (default: a realistic one for the status)
    kind          "context_window" or "content_policy": the provider's own way of saying so
    latency       seconds to wait before the first byte of the answer
    chunk_delay   seconds between stream events (a slow stream)
    cut_after     close the connection after this many stream events (a stream cut mid-way)
    error_after   send the provider's in-stream error event after this many stream events
    invalid_json  a 200 whose body (or one stream event) is not valid JSON
    path          apply only to requests whose path contains this text
    """

    status: int | None = None
    retry_after: float | None = None
    message: str | None = None
    kind: ErrorKind | None = None
    latency: float = 0.0
    chunk_delay: float | None = None
    cut_after: int | None = None
    error_after: int | None = None
    invalid_json: bool = False
    path: str | None = None

    def applies_to(self, path: str) -> bool:
        return self.path is None or self.path in path


NO_FAULT = Fault()

_FLOAT_FIELDS = {"retry_after", "latency", "chunk_delay"}
_INT_FIELDS = {"status", "cut_after", "error_after"}
_FIELD_NAMES = {f.name for f in fields(Fault)}
# bare flags accepted in the header
_FLAGS: dict[str, dict[str, Any]] = {
    "invalid_json": {"invalid_json": True},
    "context_window": {"kind": "context_window"},
    "content_policy": {"kind": "content_policy"},
}


class FaultHeaderError(ValueError):
    """The x-sim-fault header could not be read (the simulator answers 400 with this message)."""


def parse_fault_header(value: str) -> Fault:
    """Read an `x-sim-fault` header value into a Fault."""
    settings: dict[str, Any] = {}
    for item in value.split(";"):
        item = item.strip()
        if not item:
            continue
        name, sep, raw = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not sep:
            flag = _FLAGS.get(name)
            if flag is None:
                raise FaultHeaderError(f"x-sim-fault: unknown flag {name!r}")
            settings.update(flag)
            continue
        raw = raw.strip()
        if name not in _FIELD_NAMES:
            raise FaultHeaderError(f"x-sim-fault: unknown setting {name!r}")
        settings[name] = _convert(name, raw)
    return Fault(**settings)


def _convert(name: str, raw: str) -> Any:
    try:
        if name in _FLOAT_FIELDS:
            return float(raw)
        if name in _INT_FIELDS:
            return int(raw)
    except ValueError as exc:
        raise FaultHeaderError(f"x-sim-fault: {name} needs a number, got {raw!r}") from exc
    if name == "invalid_json":
        return raw.lower() in ("1", "true", "yes")
    if name == "kind" and raw not in ("context_window", "content_policy"):
        raise FaultHeaderError(f"x-sim-fault: kind must be context_window or content_policy, not {raw!r}")
    return raw


class _Armed:
    __slots__ = ("fault", "remaining")

    def __init__(self, fault: Fault, remaining: int | None) -> None:
        self.fault = fault
        self.remaining = remaining


class FaultControls:
    """The faults a simulator applies, set from tests. Safe to use from another thread than the
    simulator's (the fixtures run simulators on their own thread).

    Armed faults are tried in the order they were set; the first whose `path` matches is used, and
    one set with `times=N` is used up after N requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []

    def set(self, fault: Fault | None = None, *, times: int | None = None, **settings: Any) -> Fault:
        """Arm a fault (a Fault, or its fields as keywords) for the next `times` requests, or for
        every request until cleared when `times` is None."""
        if fault is None:
            fault = Fault(**settings)
        elif settings:
            fault = replace(fault, **settings)
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._armed.append(_Armed(fault, times))
        return fault

    def fail_next(
        self, n: int, status: int = 500, *, retry_after: float | None = None, path: str | None = None
    ) -> Fault:
        """The next `n` requests answer `status` (with the provider's error body); later ones succeed."""
        return self.set(Fault(status=status, retry_after=retry_after, path=path), times=n)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return [a.fault for a in self._armed]

    def take(self, path: str) -> Fault:
        """The fault for one request to `path` (consuming one use of it), or NO_FAULT."""
        if not self._armed:  # fast path: read without the lock; a stale empty view is harmless
            return NO_FAULT
        with self._lock:
            for i, armed in enumerate(self._armed):
                if not armed.fault.applies_to(path):
                    continue
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining <= 0:
                        del self._armed[i]
                return armed.fault
        return NO_FAULT
