"""A WebSocket to an upstream (the Realtime API), opened on the transport's pooled aiohttp session for
the running loop, with the transport's failure mapping: a refused opening → the LLMError of its
HTTP status, an unreachable host → APIConnectionError, no answer in time → Timeout. Messages are
bounded in size; a larger one closes the socket (aiohttp answers it with close code 1009)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from llmrelay.transport.http import HttpTransport
from llmrelay.transport.tls import tls_context
from llmrelay.types.errors import APIConnectionError, LLMError, Timeout, error_class_for_status
from llmrelay.types.http import UpstreamTls


@dataclass(frozen=True, slots=True)
class Closed:
    """The upstream's socket ended: its close code (None: it went away without one) and why, as
    far as the gateway may say (an upstream's close reason is its own text and is passed on)."""

    code: int | None
    reason: str


class UpstreamSocket:
    """One open upstream WebSocket. `receive` gives text or bytes messages, or Closed once."""

    __slots__ = ("_ws",)

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws

    async def receive(self) -> str | bytes | Closed:
        message = await self._ws.receive()
        kind = message.type
        if kind is aiohttp.WSMsgType.TEXT:
            text: str = message.data
            return text
        if kind is aiohttp.WSMsgType.BINARY:
            data: bytes = message.data
            return data
        if kind is aiohttp.WSMsgType.CLOSE:
            return Closed(message.data, str(message.extra or ""))
        if kind is aiohttp.WSMsgType.ERROR:
            # a message over the size bound, a broken frame, a reset connection
            return Closed(self._ws.close_code, type(message.data).__name__)
        return Closed(self._ws.close_code, "")  # CLOSING / CLOSED: the socket is done

    async def send(self, data: str | bytes) -> None:
        """Raises ConnectionResetError when the upstream is gone."""
        if isinstance(data, str):
            await self._ws.send_str(data)
        else:
            await self._ws.send_bytes(data)

    async def close(self, code: int = 1000) -> None:
        if not self._ws.closed:
            await self._ws.close(code=code)


async def open_websocket(
    transport: HttpTransport,
    url: str,
    headers: dict[str, str],
    *,
    max_message_bytes: int,
    connect_timeout: float,
    tls: UpstreamTls | None = None,
) -> UpstreamSocket:
    session = transport.session()
    ssl: bool | object = True if tls is None else tls_context(tls)
    try:
        async with asyncio.timeout(connect_timeout):
            ws = await session.ws_connect(
                url,
                headers=headers,
                max_msg_size=max_message_bytes,
                # the upstream's pings are answered; the gateway's own idle bound is the session's
                autoping=True,
                heartbeat=None,
                ssl=ssl,  # type: ignore[arg-type]
            )
    except TimeoutError as exc:
        raise Timeout(f"the upstream's WebSocket did not open within {connect_timeout}s") from exc
    except aiohttp.WSServerHandshakeError as exc:
        raise _refused(exc.status) from None
    except aiohttp.ClientError as exc:
        raise APIConnectionError(f"cannot reach the upstream: {type(exc).__name__}") from exc
    return UpstreamSocket(ws)


def _refused(status: int) -> LLMError:
    # the upstream's answer body is not read: aiohttp does not keep it, and it could echo the key
    if status < 400:
        status = 502
    return error_class_for_status(status)(
        f"the upstream refused the WebSocket opening with HTTP {status}", code=str(status)
    )
