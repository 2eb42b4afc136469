"""Reading admin requests and writing their answers; turning LiteLLM's USD floats and durations into
storage values."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs

import msgspec
from msgspec import UNSET

from llmrelay.proxy.admin.schemas import LimitsIn
from llmrelay.proxy.http import JSON_ENCODER, Request
from llmrelay.proxy.nesting import check_nesting
from llmrelay.storage.durations import next_reset, validate_duration
from llmrelay.storage.errors import StorageConflict
from llmrelay.types.errors import BadRequestError

T = TypeVar("T")
ADMIN_BODY_LIMIT = 1 << 20
# msgspec names the offending field as "... - at `$.field[0]`" or "missing required field `field`"
_AT_FIELD = re.compile(r"at `\$\.([A-Za-z_][A-Za-z0-9_]*)")
_MISSING_FIELD = re.compile(r"missing required field `([A-Za-z_][A-Za-z0-9_]*)`")
_UNKNOWN_FIELD = re.compile(r"unknown field `([A-Za-z_][A-Za-z0-9_]*)`")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_QUERY_VALUE = 1024  # longer than any id, alias or date a query names


async def read_body(req: Request, kind: type[T]) -> T:
    """The body decoded as `kind`, every bound of its fields checked (proxy/admin/schemas.py): what
    breaks one is a 400 naming the field, never a database error later."""
    raw = await req.body(ADMIN_BODY_LIMIT)
    check_nesting(raw)
    try:
        body = msgspec.json.decode(raw or b"{}", type=kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = _field_of(message)
        if "matching regex" in message:  # the PRINTABLE pattern of a name or id
            message = f"`{field}` must not hold control characters (U+0000 to U+001F, U+007F)"
        raise BadRequestError(
            f"invalid request body: {message}", code="invalid_request", param=field
        ) from None
    except msgspec.DecodeError:
        raise BadRequestError("request body is not valid JSON", code="invalid_json") from None
    if b"\\u0000" in raw:  # cheap pre-check: a NUL can only arrive escaped
        _refuse_nul(body)
    return body


def _refuse_nul(body: Any) -> None:
    """400 naming the top-level field when a NUL byte is anywhere in it (a metadata value or key
    included): PostgreSQL stores no NUL, in text or in JSON."""
    for name in body.__struct_fields__:
        stack: list[Any] = [getattr(body, name)]
        while stack:  # iterative: a deeply nested metadata value cannot exhaust the stack
            value = stack.pop()
            if isinstance(value, str):
                if "\x00" in value:
                    raise BadRequestError(
                        f"invalid request body: `{name}` holds a NUL character (U+0000), which "
                        "cannot be stored",
                        code="invalid_request",
                        param=name,
                    )
            elif isinstance(value, dict):
                stack.extend(value.keys())
                stack.extend(value.values())
            elif isinstance(value, list | tuple):
                stack.extend(value)
            elif isinstance(value, msgspec.Struct):
                stack.extend(getattr(value, field) for field in value.__struct_fields__)


def _field_of(message: str) -> str | None:
    """The top-level body field a msgspec validation error is about, for the error's `param`."""
    found = _AT_FIELD.search(message) or _MISSING_FIELD.search(message) or _UNKNOWN_FIELD.search(message)
    return found.group(1) if found else None


def query(req: Request) -> dict[str, str]:
    """Query parameters, the first value of each. A value holding a control character (`%00`...) or
    longer than any stored id is a 400 naming it: they are looked up in the database, and
    PostgreSQL cannot even compare a NUL."""
    params = {name: values[0] for name, values in parse_qs(req.scope.query_string).items() if values}
    for name, value in params.items():
        if len(value) > MAX_QUERY_VALUE or _CONTROL.search(value) is not None:
            raise BadRequestError(
                f"query parameter {name} must be at most {MAX_QUERY_VALUE} characters with no "
                "control characters (U+0000 to U+001F, U+007F)",
                param=name,
            )
    return params


def int_param(params: dict[str, str], name: str, default: int, low: int = 1, high: int = 1000) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise BadRequestError(f"{name} must be an integer from {low} to {high}", param=name)
    return int(value)


def send(req: Request, body: Any, status: int = 200) -> None:
    req.send_json(status, JSON_ENCODER.encode(body))


def to_micros(usd: float | None, field: str) -> int | None:
    if usd is None:
        return None
    if not math.isfinite(usd) or usd < 0:
        raise BadRequestError(f"{field} must be a non-negative number of USD", param=field)
    return round(usd * 1_000_000)


def to_usd(micros: int | None) -> float | None:
    return None if micros is None else micros / 1_000_000


def checked_duration(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    try:
        return validate_duration(text)
    except ValueError as exc:
        raise BadRequestError(f"`{field}`: {exc}", param=field) from None


def limit_fields(body: LimitsIn, now: datetime, *, creating: bool) -> dict[str, Any]:
    """The LimitFields/LimitUpdate values a request sets. A new budget_duration starts its first
    period now."""
    out: dict[str, Any] = {}
    for usd_name, micros_name in (("max_budget", "max_budget_micros"), ("soft_budget", "soft_budget_micros")):
        value = getattr(body, usd_name)
        if value is not UNSET:
            out[micros_name] = to_micros(value, usd_name)
    for name in ("rpm_limit", "tpm_limit", "max_parallel_requests"):
        value = getattr(body, name)
        if value is not UNSET:
            if value is not None and value < 0:
                raise BadRequestError(f"{name} must not be negative", param=name)
            out[name] = value
    if body.budget_duration is not UNSET:
        duration = checked_duration(body.budget_duration, "budget_duration")
        out["budget_duration"] = duration
        out["budget_reset_at"] = next_reset(duration, now) if duration else None
    if creating:
        out.setdefault("budget_reset_at", None)
    return out


def conflict(exc: StorageConflict) -> BadRequestError:
    """A storage conflict (a duplicate id or alias, a reference to nothing) as the caller's 400."""
    return BadRequestError(str(exc), code="conflict")
