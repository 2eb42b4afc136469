"""What the exporting sinks (OpenTelemetry, Langfuse, webhook) may say about a call's caller and
error: chosen one by one, so nothing secret leaves the process by accident.

Never exported: keys, key hashes (the hash is what the database looks keys up by; a tracing backend
does not need it), headers, `api_base`, and client metadata other than the few facts named here."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.events.record import CallRecord
from llmrelay.events.sinks.jsonlog import mask_secrets
from llmrelay.types.errors import LLMError

_MAX_ERROR_CHARS = 500
_NO_METADATA: dict[str, Any] = {}

# principal attributes that identify a caller without being a credential
PRINCIPAL_FACTS = ("kind", "key_alias", "user_id", "team_id", "organization_id")


def caller_facts(record: CallRecord) -> dict[str, Any]:
    """request_id, endpoint, tags, end user, fallback origin and the principal's safe facts
    (`principal_kind`, `key_alias`, `user_id`, `team_id`, `organization_id`), where present."""
    get = (record.metadata or _NO_METADATA).get
    facts: dict[str, Any] = {}
    for name in ("request_id", "endpoint", "fallback_from"):
        value = get(name)
        if isinstance(value, str) and value:
            facts[name] = value
    tags = get("tags")
    if isinstance(tags, list) and tags:
        facts["tags"] = [str(t) for t in tags]
    user = get("user")
    if isinstance(user, str) and user:
        facts["end_user"] = user
    principal = get("principal")
    if principal is not None:
        for name in PRINCIPAL_FACTS:
            value = getattr(principal, name, None)
            if isinstance(value, str) and value:
                facts["principal_kind" if name == "kind" else name] = value
    return facts


def error_message(error: LLMError) -> str:
    """The error's message, cut short and with anything shaped like a key masked."""
    return mask_secrets(error.message[:_MAX_ERROR_CHARS])


def error_facts(error: LLMError) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "type": type(error).__name__,
        "status_code": error.status_code,
        "message": error_message(error),
    }
    if error.code:
        facts["code"] = error.code
    return facts


def request_messages(record: CallRecord) -> Any:
    """The request's messages (or prompt / embedding input) as plain data, or None."""
    request = record.request
    for name in ("messages", "prompt", "input"):
        value = getattr(request, name, None)
        if value is not None:
            return msgspec.to_builtins(value)
    return None


def response_data(record: CallRecord) -> Any:
    """The response as plain data, or None (a relayed stream's response when no sink read contents)."""
    return None if record.response is None else msgspec.to_builtins(record.response)
