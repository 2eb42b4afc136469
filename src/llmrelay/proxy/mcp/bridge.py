"""One RSGI request handed to an ASGI application (the mcp package's session manager): the scope
built from the request, the body the gateway already read (bounded) as the one `http.request`
message, the client's disconnect as `http.disconnect`, and the application's answer sent back
through the gateway's Request — in one piece, or streamed when the application sends it in parts
(an SSE answer). The gateway's own headers (request id, overhead) go with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from llmrelay.proxy.http import Request, StreamTransport

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
AsgiApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


def asgi_scope(req: Request, extra: dict[str, Any]) -> Scope:
    scope = req.scope
    host, _, port = scope.client.rpartition(":")
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in scope.headers.items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": scope.method,
        "scheme": "http",
        "path": req.path,
        "raw_path": req.path.encode("latin-1"),
        "query_string": scope.query_string.encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": (host or scope.client, int(port) if port.isdigit() else 0),
        "server": None,
        "state": {},
        **extra,
    }


async def call_asgi(app: AsgiApp, req: Request, body: bytes, extra: dict[str, Any]) -> None:
    sent_body = False

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await req.proto.client_disconnect()
        return {"type": "http.disconnect"}

    status = 500
    head: list[tuple[str, str]] = []
    stream: StreamTransport | None = None
    done = False

    async def send(message: Message) -> None:
        nonlocal status, head, stream, done
        kind = message["type"]
        if kind == "http.response.start":
            status = int(message["status"])
            head = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", ())]
            return
        if kind != "http.response.body" or done:
            return
        chunk = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if stream is None and not more:
            done = True
            req.started = True
            req.proto.response_bytes(status, [*head, *req.response_headers, req.overhead_header()], chunk)
            return
        if stream is None:
            req.started = True
            stream = req.proto.response_stream(status, [*head, *req.response_headers, req.overhead_header()])
        if chunk:
            await stream.send_bytes(chunk)
        if not more:
            done = True

    await app(asgi_scope(req, extra), receive, send)
