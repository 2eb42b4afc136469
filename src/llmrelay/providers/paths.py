"""Putting a model id (or another name a call carries) into a URL path without letting it add path
segments or a query: `gemini/tunedModels/../../../../evil?x=` must not reach another path on the
upstream host with the key attached.

Percent-encoding takes care of `?`, `#`, `%` and spaces; dot segments need more, as HTTP clients
(yarl, under aiohttp) resolve `.` and `..` in a path before sending it. A name whose segments hold
them, or an empty segment, or a control character, is refused with a 400 naming the field."""

from __future__ import annotations

from urllib.parse import quote

from llmrelay.types.errors import BadRequestError

_DOT_SEGMENTS = frozenset({".", ".."})


def path_part(value: str, *, provider: str, safe: str = "", param: str = "model") -> str:
    """`value` percent-encoded for a URL path, `safe` characters kept (`/` among them when `value`
    may span segments, as a tuned model's `tunedModels/{id}` does). BadRequestError if a segment is
    empty, `.` or `..`, or a character is a control character."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise _refused(value, provider, param, "holds a control character")
    # the segments the server will see: a kept '/' splits them; an encoded one (%2F) does not
    segments = value.split("/") if "/" in safe else [value]
    if any(segment in _DOT_SEGMENTS or not segment for segment in segments):
        raise _refused(value, provider, param, "would add or remove path segments of the upstream's URL")
    return quote(value, safe=safe)


def _refused(value: str, provider: str, param: str, why: str) -> BadRequestError:
    shown = value if len(value) <= 200 else value[:200] + "..."
    return BadRequestError(
        f"{param} {shown!r} cannot be used in a {provider} URL: it {why}",
        provider=provider,
        param=param,
    )
