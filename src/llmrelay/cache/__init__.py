"""Response cache (LiteLLM's `litellm_settings.cache`): exact-match answers of chat, text completion
and embedding calls, kept in memory or in Redis, with LiteLLM's per-request controls.

    from llmrelay.cache import CacheSettings, ResponseCache, ResponseCacheMiddleware
    from llmrelay.calls.call import chain
    call = chain([ResponseCacheMiddleware(ResponseCache(CacheSettings(ttl=600)))], router.route)

Names are imported on first use, so the config loader can read `llmrelay.cache.settings` alone."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmrelay.cache.controls import CacheControls, parse_controls
    from llmrelay.cache.middleware import ResponseCacheMiddleware
    from llmrelay.cache.response_cache import ResponseCache
    from llmrelay.cache.settings import CacheSettings, cache_settings

_EXPORTS = {
    "CacheControls": "llmrelay.cache.controls",
    "parse_controls": "llmrelay.cache.controls",
    "ResponseCache": "llmrelay.cache.response_cache",
    "ResponseCacheMiddleware": "llmrelay.cache.middleware",
    "CacheSettings": "llmrelay.cache.settings",
    "cache_settings": "llmrelay.cache.settings",
}
__all__ = [
    "CacheControls",
    "CacheSettings",
    "ResponseCache",
    "ResponseCacheMiddleware",
    "cache_settings",
    "parse_controls",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmrelay.cache' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
