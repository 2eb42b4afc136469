"""A request's cache controls: the `cache` object of its body, in LiteLLM's spelling."""

from __future__ import annotations

import math
from typing import Any

import msgspec

from llmrelay.types.errors import BadRequestError


class CacheControls(msgspec.Struct, frozen=True, kw_only=True):
    no_cache: bool = False  # do not answer from the cache (still store the fresh answer)
    no_store: bool = False  # do not store this answer
    ttl: float | None = None  # keep this answer this long (seconds) instead of the default
    s_maxage: float | None = None  # only take a cached answer at most this old (seconds)
    namespace: str | None = None  # a separate key space
    use_cache: bool | None = None  # opt in (mode default_off) or out (false)


NO_CONTROLS = CacheControls()

_FLAGS = {"no-cache": "no_cache", "no-store": "no_store", "use-cache": "use_cache"}
_SECONDS = {"ttl": "ttl", "s-maxage": "s_maxage", "s-max-age": "s_maxage"}


def parse_controls(raw: dict[str, Any] | None) -> CacheControls:
    """The controls a request gives; a wrong value is a 400 naming the field."""
    if not raw:
        return NO_CONTROLS
    if not isinstance(raw, dict):
        raise BadRequestError("cache must be an object", param="cache")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name in _FLAGS:
            if not isinstance(value, bool):
                raise BadRequestError(f"cache.{name} must be true or false", param=f"cache.{name}")
            values[_FLAGS[name]] = value
        elif name in _SECONDS:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or value < 0:
                raise BadRequestError(
                    f"cache.{name} must be a non-negative number of seconds", param=f"cache.{name}"
                )
            values[_SECONDS[name]] = float(value)
        elif name == "namespace":
            if not isinstance(value, str) or not value or len(value) > 200:
                raise BadRequestError("cache.namespace must be a string of 1-200 characters",
                                      param="cache.namespace")  # fmt: skip
            values["namespace"] = value
        else:
            known = ", ".join([*_FLAGS, *_SECONDS, "namespace"])
            raise BadRequestError(f"unknown cache control {name!r}; known: {known}", param=f"cache.{name}")
    return CacheControls(**values)
