"""The same floor proxy as raw ASGI (no framework), for running on uvicorn (uvloop + httptools):
the comparison behind docs/adr/0003-server-stack.md.

    FLOOR_UPSTREAM=... uvicorn --loop uvloop --http httptools bench.gateway.floor_asgi:app
"""

from __future__ import annotations

import os
from typing import Any

from llmrelay.transport.http import HttpTransport
from llmrelay.types.http import HttpRequest

UPSTREAM = os.environ.get("FLOOR_UPSTREAM", "http://127.0.0.1:8765/v1")
HEADERS = {"content-type": "application/json", "authorization": "Bearer sim-key"}
TRANSPORT = HttpTransport()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    request = HttpRequest(url=UPSTREAM + scope["path"].removeprefix("/v1"), headers=HEADERS, body=body)
    if b'"stream": true' not in body and b'"stream":true' not in body:
        response = await TRANSPORT.send(request, 60)
        await send({"type": "http.response.start", "status": response.status,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": response.body})
        return
    upstream = await TRANSPORT.open_stream(request, connect_timeout=60)
    try:
        await send({"type": "http.response.start", "status": upstream.status,
                    "headers": [(b"content-type", b"text/event-stream")]})  # fmt: skip
        async for data in upstream.iter_bytes():
            await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        await upstream.aclose()
