"""A WebSocket to an upstream (the Realtime API), with the transport's failure mapping: a refused
opening → the LLMError of its HTTP status, an unreachable host → APIConnectionError, no answer in
time → Timeout. Messages are bounded in size; a larger one closes the socket (aiohttp answers it
with close code 1009).

Each socket has an aiohttp session of its own (a session lives as long as the socket, minutes to an
hour, so its cost does not count), for one reason: aiohttp's `ws_connect` follows redirects and
cannot be told not to, and it would carry `api-key` to wherever a redirect points (it strips only
Authorization). The session's trace hook refuses any redirect before it is followed — the rule
of transport/redirects.py, stricter: a WebSocket opening is never redirected by OpenAI or Azure."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from llmrelay.transport.tls import tls_context
from llmrelay.types.errors import (
    APIConnectionError,
    BadGatewayError,
    LLMError,
    Timeout,
    error_class_for_status,
)
from llmrelay.types.http import UpstreamTls


@dataclass(frozen=True, slots=True)
class Closed:
    """The upstream's socket ended: its close code (None: it went away without one) and why, as
    far as the gateway may say (an upstream's close reason is its own text and is passed on)."""

    code: int | None
    reason: str


class UpstreamSocket:
    """One open upstream WebSocket. `receive` gives text or bytes messages, or Closed once."""

    __slots__ = ("_session", "_ws")

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: aiohttp.ClientSession) -> None:
        self._ws = ws
        self._session = session

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
        try:
            if not self._ws.closed:
                await self._ws.close(code=code)
        finally:
            await self._session.close()


class _RedirectRefused(aiohttp.ClientError):
    pass


async def _refuse_redirect(
    session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestRedirectParams
) -> None:
    params.response.close()
    raise _RedirectRefused(f"HTTP {params.response.status}")


async def open_websocket(
    url: str,
    headers: dict[str, str],
    *,
    max_message_bytes: int,
    connect_timeout: float,
    tls: UpstreamTls | None = None,
) -> UpstreamSocket:
    ssl: bool | object = True if tls is None else tls_context(tls)
    trace = aiohttp.TraceConfig()
    trace.on_request_redirect.append(_refuse_redirect)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1, enable_cleanup_closed=True),
        timeout=aiohttp.ClientTimeout(total=None),
        skip_auto_headers=("User-Agent",),
        trace_configs=[trace],
    )
    try:
        return UpstreamSocket(
            await _open(session, url, headers, max_message_bytes, connect_timeout, ssl), session
        )
    except BaseException:
        await session.close()
        raise


async def _open(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], max_message_bytes: int,
    connect_timeout: float, ssl: bool | object,
) -> aiohttp.ClientWebSocketResponse:  # fmt: skip
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
    except _RedirectRefused as exc:
        raise BadGatewayError(
            f"the upstream redirected the WebSocket opening ({exc}): not followed; set the "
            "deployment's api_base to the final URL",
            code="upstream_redirect",
        ) from None
    except aiohttp.ClientError as exc:
        raise APIConnectionError(f"cannot reach the upstream: {type(exc).__name__}") from exc
    return ws


def _refused(status: int) -> LLMError:
    # the upstream's answer body is not read: aiohttp does not keep it, and it could echo the key
    if status < 400:
        status = 502
    return error_class_for_status(status)(
        f"the upstream refused the WebSocket opening with HTTP {status}", code=str(status)
    )
