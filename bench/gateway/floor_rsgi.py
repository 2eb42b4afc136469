"""The floor: a bare pass-through proxy on the gateway's own stack (Granian RSGI + llmrelay's
HttpTransport over aiohttp), with no features. What Python costs per proxied request, at least.

    FLOOR_UPSTREAM=http://127.0.0.1:8765/v1 granian --interface rsgi bench.gateway.floor_rsgi:app
"""

from __future__ import annotations

import os
from typing import Any

from llmrelay.transport.http import HttpTransport
from llmrelay.types.http import HttpRequest

UPSTREAM = os.environ.get("FLOOR_UPSTREAM", "http://127.0.0.1:8765/v1")
HEADERS = {"content-type": "application/json", "authorization": "Bearer sim-key"}
JSON = [("content-type", "application/json")]
SSE = [("content-type", "text/event-stream")]


class Floor:
    def __init__(self) -> None:
        self.transport = HttpTransport()

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        body = await proto()
        request = HttpRequest(url=UPSTREAM + scope.path.removeprefix("/v1"), headers=HEADERS, body=body)
        if b'"stream": true' not in body and b'"stream":true' not in body:
            response = await self.transport.send(request, 60)
            proto.response_bytes(response.status, JSON, response.body)
            return
        upstream = await self.transport.open_stream(request, connect_timeout=60)
        try:
            out = proto.response_stream(upstream.status, SSE)
            async for data in upstream.iter_bytes():
                await out.send_bytes(data)
        finally:
            await upstream.aclose()


app = Floor()
