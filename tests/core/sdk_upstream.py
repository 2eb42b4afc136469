"""A tiny scripted OpenAI-style upstream on 127.0.0.1 for client tests: answers from a queue of
canned replies and records what it received. (Not the simulators: these tests pin exact bytes.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CHAT_BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100},
}


def stream_body(words: list[str], usage: bool = True, done: bool = True) -> bytes:
    head = {"id": "c-s", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o-mini"}
    events = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    events += [{**head, "choices": [{"index": 0, "delta": {"content": w}}]} for w in words]
    events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if usage:
        events.append(
            {
                **head,
                "choices": [],
                "usage": {
                    "prompt_tokens": 10,
                    "completion_tokens": len(words),
                    "total_tokens": 10 + len(words),
                },
            }
        )
    out = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    return out + (b"data: [DONE]\n\n" if done else b"")


@dataclass
class Reply:
    status: int = 200
    body: bytes = field(default_factory=lambda: json.dumps(CHAT_BODY).encode())
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool = False


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class Upstream:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.received: list[Received] = []
        self.base = ""
        self._runner: web.AppRunner | None = None

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append(
            Received(
                request.path, {k.lower(): v for k, v in request.headers.items()}, json.loads(body or b"{}")
            )
        )
        reply = self.replies.pop(0) if self.replies else Reply()
        if not reply.stream:
            return web.Response(
                status=reply.status, body=reply.body, headers=reply.headers, content_type="application/json"
            )
        resp = web.StreamResponse(
            status=reply.status, headers={"content-type": "text/event-stream", **reply.headers}
        )
        await resp.prepare(request)
        # write in odd-sized pieces, as a network would
        for i in range(0, len(reply.body), 37):
            await resp.write(reply.body[i : i + 37])
        await resp.write_eof()
        return resp

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}/v1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def running_upstream() -> AsyncIterator[Upstream]:
    upstream = Upstream()
    await upstream.start()
    try:
        yield upstream
    finally:
        await upstream.stop()
