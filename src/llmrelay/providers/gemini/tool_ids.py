"""Tool-call ids for Gemini function calls, which carry the call's thought signature.

Gemini names no id for most function calls, so one is made up (`call_<n>`, numbered per candidate).
Models that think attach a `thoughtSignature` to function-call parts and reject the next turn if it
is not sent back with the call. OpenAI-shaped clients only echo the tool call's id, so the signature
travels inside it: `call_0__thought__<signature>`. When the assistant turn is replayed, the signature
is split off the id and put back on the functionCall part.
"""

from __future__ import annotations

_SEPARATOR = "__thought__"


def make_tool_call_id(index: int, signature: str | None, given_id: str | None = None) -> str:
    base = given_id or f"call_{index}"
    return f"{base}{_SEPARATOR}{signature}" if signature else base


def split_tool_call_id(tool_call_id: str) -> tuple[str, str | None]:
    """(the id without its signature, the signature or None)."""
    base, sep, signature = tool_call_id.partition(_SEPARATOR)
    return (base, signature) if sep and signature else (tool_call_id, None)
