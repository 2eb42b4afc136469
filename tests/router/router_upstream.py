"""A tiny OpenAI-shaped upstream for router tests: one aiohttp app serving many named deployments
(`/<name>/v1/...`), each with a queue of scripted faults and a log of what it received."""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Fault:
    status: int = 500
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # for streams: send this many content chunks, then cut the connection
    cut_after: int | None = None
    # hold the response until this event is set
    hold: asyncio.Event | None = None


def error_body(message: str, kind: str = "server_error", code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


@dataclass
class Upstream:
    server: TestServer
    faults: dict[str, list[Fault]] = field(default_factory=lambda: defaultdict(list))
    received: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bodies: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    authorizations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    hold: dict[str, asyncio.Event] = field(default_factory=dict)
    # seconds before answering (a slow deployment)
    delay: dict[str, float] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def base(self, name: str) -> str:
        return str(self.server.make_url(f"/{name}/v1"))

    def fail(self, name: str, *faults: Fault) -> None:
        self.faults[name].extend(faults)


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


async def start_upstream() -> Upstream:
    app = web.Application()
    server = TestServer(app, host="127.0.0.1")
    upstream = Upstream(server)

    async def chat(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        body = await request.json()
        upstream.received[name] += 1
        upstream.bodies[name].append(body)
        upstream.authorizations[name].append(request.headers.get("Authorization", ""))
        upstream.in_flight[name] += 1
        upstream.max_in_flight[name] = max(upstream.max_in_flight[name], upstream.in_flight[name])
        try:
            fault = upstream.faults[name].pop(0) if upstream.faults[name] else None
            gate = (fault.hold if fault else None) or upstream.hold.get(name)
            if gate is not None:
                await gate.wait()
            if name in upstream.delay:
                await asyncio.sleep(upstream.delay[name])
            if fault is not None and fault.cut_after is None:
                return web.json_response(
                    fault.body or error_body("boom"), status=fault.status, headers=fault.headers
                )
            text = f"hello from {name}"
            if not body.get("stream"):
                return web.json_response(_completion(body["model"], text))
            return await _stream(request, body["model"], text, fault.cut_after if fault else None)
        finally:
            upstream.in_flight[name] -= 1

    async def _stream(
        request: web.Request, model: str, text: str, cut_after: int | None
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        events = [_chunk(model, {"role": "assistant", "content": ""})]
        events += [_chunk(model, {"content": word + " "}) for word in text.split()]
        events.append(_chunk(model, {}, "stop"))
        usage = {**_chunk(model, {}), "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3,
                                                              "total_tokens": 8}}  # fmt: skip
        payload = (
            b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in [*events, usage]) + b"data: [DONE]\n\n"
        )
        if cut_after is not None:
            payload = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events[: cut_after + 1])
        # split the bytes at random (seeded) positions, as a network would
        cuts = sorted(upstream.rng.sample(range(1, len(payload)), 5))
        for start, end in zip([0, *cuts], [*cuts, len(payload)], strict=True):
            await response.write(payload[start:end])
        if cut_after is not None:
            assert request.transport is not None
            request.transport.close()
            return response
        await response.write_eof()
        return response

    async def embeddings(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = await request.json()
        upstream.received[name] += 1
        upstream.bodies[name].append(body)
        fault = upstream.faults[name].pop(0) if upstream.faults[name] else None
        if fault is not None:
            return web.json_response(
                fault.body or error_body("boom"), status=fault.status, headers=fault.headers
            )
        return web.json_response(
            {
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                "model": body["model"],
                "usage": {"prompt_tokens": 2, "total_tokens": 2},
            }
        )

    app.router.add_post("/{name}/v1/chat/completions", chat)
    app.router.add_post("/{name}/v1/embeddings", embeddings)
    await server.start_server()
    return upstream
