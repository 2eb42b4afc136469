"""Raw HTTP helpers for the simulator tests: post JSON, read a stream split at random positions."""

from __future__ import annotations

import random
from typing import Any

import aiohttp
import msgspec

from llmrelay.wire.sse import SSEEvent, SSEParser


async def post(
    url: str, body: Any, headers: dict[str, str] | None = None, *, raw: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, body bytes) of one POST."""
    async with aiohttp.ClientSession() as session:
        data = raw if raw is not None else msgspec.json.encode(body)
        async with session.post(
            url, data=data, headers={"content-type": "application/json", **(headers or {})}
        ) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, await r.read()


async def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers or {}) as r:
        return r.status, await r.read()


def sse_events(body: bytes, seed: int = 7) -> list[SSEEvent]:
    """Parse an SSE body fed in pieces cut at random (seeded) positions."""
    rng = random.Random(seed)
    parser = SSEParser()
    events: list[SSEEvent] = []
    pos = 0
    while pos < len(body):
        step = rng.randint(1, 40)
        events.extend(parser.feed(body[pos : pos + step]))
        pos += step
    events.extend(parser.end())
    return events


def json_events(body: bytes, seed: int = 7) -> list[Any]:
    """The JSON payloads of an SSE body, `[DONE]` kept as the string."""
    out: list[Any] = []
    for event in sse_events(body, seed):
        out.append(event.data if event.data == "[DONE]" else msgspec.json.decode(event.data))
    return out


def decode(body: bytes) -> Any:
    return msgspec.json.decode(body)
