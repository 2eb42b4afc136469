"""An MCP server for tests, built on the official `mcp` package's MCPServer: a few tools, served over
stdio (`python -m llmrelay.testing.mcp_sim`, the gateway spawns it) or Streamable HTTP on a thread
(`McpHttpSim`, which can require a bearer token and records the headers it received).

Tools: `echo(text)`, `add(a, b)`, `repeat(text, times)` (a large result on demand), `whoami()`
(the process id: tells a restarted stdio server from the first), and `crash()` (stdio: the process
exits at once, as a crashing server does)."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

from llmrelay.testing.ports import free_port


def build_server(name: str = "sim") -> Any:
    from mcp.server import MCPServer

    server = MCPServer(name)

    @server.tool()
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @server.tool()
    def repeat(text: str, times: int) -> str:
        """The text repeated `times` times."""
        return text * times

    @server.tool()
    def whoami() -> str:
        """This server process's id."""
        return str(os.getpid())

    @server.tool()
    def crash() -> str:
        """End the server process at once (a crash, for the gateway's supervisor)."""
        sys.stdout.flush()
        os._exit(3)

    return server


class McpHttpSim:
    """The same server over Streamable HTTP at `.url` (`/mcp`), or over the older SSE transport
    (`sse=True`: `/sse`), on a uvicorn thread of its own."""

    def __init__(self, *, token: str | None = None, sse: bool = False) -> None:
        self.token = token
        self.sse = sse
        self.port = free_port()
        # (method, path, headers) of every request, for asserting what the gateway sent
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{'sse' if self.sse else 'mcp'}"

    def _app(self) -> Any:
        from mcp.server.transport_security import TransportSecuritySettings

        security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
        server = build_server("http-sim")
        if self.sse:
            inner = server.sse_app(transport_security=security)
        else:
            inner = server.streamable_http_app(
                stateless_http=True, json_response=True, transport_security=security
            )
        sim = self

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
                sim.seen.append((scope["method"], scope["path"], headers))
                if sim.token is not None and headers.get("authorization") != f"Bearer {sim.token}":
                    await send({"type": "http.response.start", "status": 401, "headers": []})
                    await send({"type": "http.response.body", "body": b"unauthorized"})
                    return
            await inner(scope, receive, send)

        return app

    def start(self, timeout: float = 20) -> McpHttpSim:
        import uvicorn

        config = uvicorn.Config(
            self._app(), host="127.0.0.1", port=self.port, log_level="error", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="mcp-http-sim", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise TimeoutError("the MCP simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


def main() -> None:
    build_server("stdio-sim").run("stdio")


if __name__ == "__main__":
    main()
