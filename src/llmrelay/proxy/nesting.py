"""The nesting depth of a JSON request body, bounded before anything decodes it into objects.

A body nested 100,000 levels deep made the decoder raise RecursionError (a 500); one nested a few
hundred levels decodes, then breaks whatever walks it recursively later (a provider adapter turning a
tool schema into its own shape). Every JSON body the gateway reads passes `check_nesting` first: past
`MAX_JSON_DEPTH` levels it is a 400 that names the body.

Cost: a body with at most MAX_JSON_DEPTH `[`/`{` bytes cannot be deeper than that, which two
`bytes.count` calls show (all small requests stop there). A larger body is decoded once into plain
objects (msgspec, C speed; its own recursion guard turns an absurd depth into RecursionError) and its
containers are walked without recursion. Measured: a 340 KB chat body of 300 messages costs ≈ 0.4 ms
this way, where a byte scan that skips strings costs ≈ 2-3 ms."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.types.errors import BadRequestError

# levels of objects/arrays a request body may nest. OpenAI's structured outputs allow 10 levels of
# schema nesting (≈ 25 JSON levels with its wrappers); nothing legitimate comes near 100.
MAX_JSON_DEPTH = 100


def check_nesting(body: bytes, what: str = "request body", limit: int = MAX_JSON_DEPTH) -> None:
    """Raise a 400 when `body` (JSON) nests objects/arrays more than `limit` levels deep. A body that
    is not valid JSON passes: its decoder reports that with the right message."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return
    try:
        value = msgspec.json.decode(body)
    except RecursionError:
        raise _too_deep(what, limit) from None
    except msgspec.DecodeError:
        return
    if _deeper_than(value, limit):
        raise _too_deep(what, limit)


def _deeper_than(value: Any, limit: int) -> bool:
    if not isinstance(value, (dict, list)):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def _too_deep(what: str, limit: int) -> BadRequestError:
    return BadRequestError(
        f"{what} nests JSON objects/arrays more than {limit} levels deep",
        code="json_too_deep",
    )
