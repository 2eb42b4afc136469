"""Tool-call ids for Gemini function calls, which carry the call's thought signature.

Gemini names no id for most function calls, so one is made up: `call_<scope>_<n>`, numbered per
candidate, where the scope is derived from the response's `responseId` (a random one when the
response has none). Ids are then stable for one response and distinct across the turns of a
conversation: agent frameworks key tool results by id over a whole history, and `call_0` in every
turn made them collide.

Models that think attach a `thoughtSignature` to function-call parts and reject the next turn if it
is not sent back with the call. OpenAI-shaped clients only echo the tool call's id, so the signature
travels inside it: `call_<scope>_0__thought__<signature>`. When the assistant turn is replayed, the
signature is split off the id and put back on the functionCall part.
"""

from __future__ import annotations

import hashlib
import uuid

_SEPARATOR = "__thought__"
_SCOPE_LENGTH = 12


def tool_call_scope(response_id: str | None) -> str:
    """A short token naming one response: a digest of its responseId, else random."""
    if response_id:
        return hashlib.sha256(response_id.encode()).hexdigest()[:_SCOPE_LENGTH]
    return uuid.uuid4().hex[:_SCOPE_LENGTH]


def make_tool_call_id(index: int, signature: str | None, given_id: str | None = None, scope: str = "") -> str:
    base = given_id or (f"call_{scope}_{index}" if scope else f"call_{index}")
    return f"{base}{_SEPARATOR}{signature}" if signature else base


def split_tool_call_id(tool_call_id: str) -> tuple[str, str | None]:
    """(the id without its signature, the signature or None)."""
    base, sep, signature = tool_call_id.partition(_SEPARATOR)
    return (base, signature) if sep and signature else (tool_call_id, None)
