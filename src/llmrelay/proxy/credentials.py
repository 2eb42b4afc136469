"""Credential fields: the one list of configuration field names whose values are secrets, and
`without_credentials`, which removes them from anything the gateway shows about its deployments
(`/model/info`, `/health`) — to every caller, admins included.

A field is a credential when its name is in CREDENTIAL_FIELDS (which holds every secret a provider
declares), or when one of the words of its name (split at `_`, `-`, `.`) is in CREDENTIAL_WORDS —
`x-goog-api-key`, `my_client_secret`, `azure_ad_token_provider`, `aws_bearer_token_bedrock` —
unless the name is a price or a count (`input_cost_per_token`). Nested objects (`extra_headers`,
`vertex_credentials` given inline) are cleaned the same way, and a URL's user and password
(`https://user:pass@host`) and its credential query parameters are masked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from llmrelay.providers.registry import declared_secrets

# the secrets the providers declare (llmrelay.providers.declarations), and names any secret goes by
CREDENTIAL_FIELDS = frozenset(
    {
        *declared_secrets(),
        "api_key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "bearer_token",
        "password",
        "secret",
        "private_key",
        "authorization",
        "proxy-authorization",
        "cookie",
    }
)
CREDENTIAL_WORDS = frozenset(
    {"key", "apikey", "secret", "password", "passwd", "token", "credential", "credentials", "authorization"}
)
# words that make a name a price or a count, never a secret (input_cost_per_token, max_tokens...)
_NOT_SECRET_WORDS = frozenset({"cost", "per", "max", "limit", "count"})
_WORD = re.compile(r"[^a-z0-9]+")
MASK = "***"


def is_credential_field(name: str) -> bool:
    lowered = name.lower()
    if lowered in CREDENTIAL_FIELDS:
        return True
    words = set(_WORD.split(lowered))
    return bool(words & CREDENTIAL_WORDS) and not words & _NOT_SECRET_WORDS


def without_credentials(value: Any) -> Any:
    """`value` (JSON-like: dicts, lists, scalars) with every credential field left out, and URLs'
    user, password and credential query parameters masked."""
    if isinstance(value, Mapping):
        return {
            key: without_credentials(item)
            for key, item in value.items()
            if not (isinstance(key, str) and is_credential_field(key))
        }
    if isinstance(value, list | tuple):
        return [without_credentials(item) for item in value]
    if isinstance(value, str) and "://" in value:
        return _masked_url(value)
    return value


def _masked_url(text: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_credential_field(name) for name, _ in pairs):
            query = urlencode([(n, MASK if is_credential_field(n) else v) for n, v in pairs])
    if netloc == parts.netloc and query == parts.query:
        return text
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
