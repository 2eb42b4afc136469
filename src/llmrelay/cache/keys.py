"""Cache keys: a digest of everything in a request that can change its answer."""

from __future__ import annotations

import hashlib

import msgspec

# fields that say how to deliver or account for an answer, not what it is
_NOT_IN_KEY = ("stream", "stream_options", "user", "metadata", "cache")
_encode = msgspec.json.Encoder(order="sorted").encode


def cache_key(kind: str, request: msgspec.Struct, namespace: str | None) -> str:
    """`llmrelay:cache:[namespace:]kind:sha256` — `request.model` is the model group asked for, so
    deployments of one group share answers and different groups never do."""
    data = msgspec.to_builtins(request)
    for name in _NOT_IN_KEY:
        data.pop(name, None)
    digest = hashlib.sha256(_encode(data)).hexdigest()
    prefix = f"llmrelay:cache:{namespace}:" if namespace else "llmrelay:cache:"
    return f"{prefix}{kind}:{digest}"
