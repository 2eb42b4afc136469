"""`CacheSettings`: litellm_settings.cache / cache_params, checked when the config loads."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

import msgspec

# LiteLLM's call type names, sync and async alike, per gateway endpoint
CALL_TYPES = {
    "completion": "chat",
    "acompletion": "chat",
    "text_completion": "text",
    "atext_completion": "text",
    "embedding": "embedding",
    "aembedding": "embedding",
}
# types LiteLLM offers that this gateway does not (cannot be silently ignored: the user chose them)
UNSUPPORTED_TYPES = (
    "s3",
    "gcs",
    "disk",
    "redis-semantic",
    "valkey-semantic",
    "qdrant-semantic",
    "azure-blob",
)


class CacheSettings(msgspec.Struct, frozen=True, kw_only=True):
    type: Literal["local", "redis"] = "local"
    ttl: float = 600.0  # seconds an answer is kept unless the request says otherwise
    namespace: str | None = None
    # which endpoints are cached: "chat", "text", "embedding"
    kinds: frozenset[str] = frozenset({"chat", "text", "embedding"})
    # "default_off": only requests with cache: {"use-cache": true} use the cache
    mode: Literal["default_on", "default_off"] = "default_on"
    redis_url: str | None = None
    max_entries: int = 10_000  # local: the least recently used go beyond this
    max_item_bytes: int = 1_000_000  # answers larger than this are not kept


class CacheConfigError(ValueError):
    """A cache_params value that cannot work; the message names the key."""


def cache_settings(
    params: Mapping[str, Any] | None, environ: Mapping[str, str] = os.environ
) -> CacheSettings:
    """Settings from LiteLLM's cache_params (redis host/port/password or url, also REDIS_HOST,
    REDIS_PORT, REDIS_PASSWORD, REDIS_URL from the environment)."""
    p = dict(params or {})
    kind = str(p.get("type", "local"))
    if kind in UNSUPPORTED_TYPES:
        raise CacheConfigError(f"cache_params.type: {kind!r} is not supported; use 'local' or 'redis'")
    if kind not in ("local", "redis"):
        raise CacheConfigError(f"cache_params.type: expected 'local' or 'redis', got {kind!r}")
    ttl = p.get("ttl", p.get("default_in_memory_ttl" if kind == "local" else "default_in_redis_ttl", 600))
    if not isinstance(ttl, int | float) or isinstance(ttl, bool) or ttl <= 0:
        raise CacheConfigError(f"cache_params.ttl: expected a positive number of seconds, got {ttl!r}")
    mode = p.get("mode", "default_on")
    if mode not in ("default_on", "default_off"):
        raise CacheConfigError(f"cache_params.mode: expected 'default_on' or 'default_off', got {mode!r}")
    kinds = frozenset({"chat", "text", "embedding"})
    if p.get("supported_call_types") is not None:
        names = p["supported_call_types"]
        if not isinstance(names, list):
            raise CacheConfigError("cache_params.supported_call_types: expected a list")
        unknown = [n for n in names if n not in CALL_TYPES]
        if unknown:
            raise CacheConfigError(
                f"cache_params.supported_call_types: unknown {unknown}; known: {sorted(CALL_TYPES)}"
            )
        kinds = frozenset(CALL_TYPES[n] for n in names)
    namespace = p.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise CacheConfigError("cache_params.namespace: expected a string")
    redis_url = _redis_url(p, environ) if kind == "redis" else None
    return CacheSettings(
        type=kind,  # type: ignore[arg-type]
        ttl=float(ttl),
        namespace=namespace,
        kinds=kinds,
        mode=mode,
        redis_url=redis_url,
        max_entries=_positive_int(p, "max_entries", 10_000),
        max_item_bytes=_positive_int(p, "max_size_per_item", 1_000_000),
    )


def _positive_int(p: Mapping[str, Any], name: str, default: int) -> int:
    value = p.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise CacheConfigError(f"cache_params.{name}: expected a positive integer, got {value!r}")
    return value


def _redis_url(p: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    url = p.get("url") or p.get("redis_url") or environ.get("REDIS_URL")
    if url:
        return str(url)
    host = p.get("host") or environ.get("REDIS_HOST")
    if not host:
        raise CacheConfigError("cache_params: type 'redis' needs host (or url, or REDIS_HOST / REDIS_URL)")
    port = p.get("port") or environ.get("REDIS_PORT") or 6379
    password = p.get("password") or environ.get("REDIS_PASSWORD")
    scheme = "rediss" if p.get("ssl") else "redis"
    auth = f":{_quote(str(password))}@" if password else ""
    return f"{scheme}://{auth}{host}:{port}/{int(p.get('db', 0))}"


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
