"""WebSocket upgrades on Granian's RSGI interface: the protocol's types, and the key a client presents.

What RSGI lets an application do with an upgrade (Granian 2.x, docs/spec/RSGI.md there): refuse it
with an HTTP status (`close(status)` before `accept()`; the answer has no body), or accept it with
Granian's own 101 answer — which carries no `Sec-WebSocket-Protocol`, so the gateway cannot select a
subprotocol — and later close it, always without a close code (the peer reads 1005). Messages
reach the application whole; Granian's WebSocket library bounds one at 64 MiB before the gateway
sees it (the gateway's own bound is lower: proxy/realtime/)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from llmrelay.auth.presented import HeaderGetter, refuse_ambiguous_credentials
from llmrelay.calls.principal import Principal
from llmrelay.proxy.client_slots import ClientSlots
from llmrelay.proxy.http import RSGIScope
from llmrelay.proxy.network_policy import NetworkPolicy
from llmrelay.types.errors import BadRequestError, LLMError

log = logging.getLogger("llmrelay.proxy")

# RSGI's message kinds
WS_CLOSED = 0
WS_BYTES = 1
WS_TEXT = 2
# the subprotocol browsers put a key in (they cannot set an Authorization header on a WebSocket)
KEY_SUBPROTOCOL = "openai-insecure-api-key."


class RSGIWebsocketMessage(Protocol):
    @property
    def kind(self) -> int: ...
    @property
    def data(self) -> Any: ...


class RSGIWebsocketTransport(Protocol):
    async def receive(self) -> RSGIWebsocketMessage: ...
    async def send_bytes(self, data: bytes) -> None: ...
    async def send_str(self, data: str) -> None: ...


class RSGIWebsocketProto(Protocol):
    async def accept(self) -> RSGIWebsocketTransport: ...
    def close(self, status: int | None = None) -> Any: ...


def subprotocol_key(offered: str | None) -> str | None:
    """The key in a `Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.<key>` offer."""
    if not offered:
        return None
    offers = [part.strip() for part in offered.split(",")]
    keys = [part[len(KEY_SUBPROTOCOL) :] for part in offers if part.startswith(KEY_SUBPROTOCOL)]
    if len(keys) > 1:
        raise BadRequestError("more than one key in Sec-WebSocket-Protocol", code="ambiguous_credentials")
    if not keys:
        return None
    return keys[0].strip() or None


def websocket_credentials(header: HeaderGetter) -> HeaderGetter:
    """The upgrade's headers as the authenticator reads them: `Authorization: Bearer <key>` from
    whichever place the client put its key — Authorization, `api-key` (Azure's clients), or the
    key subprotocol (browsers). Two different keys are refused (400), never one guessed."""
    offered = subprotocol_key(header("sec-websocket-protocol"))
    authorization = header("authorization")
    if authorization is None:
        api_key = header("api-key")
        if api_key and api_key.strip():
            authorization = f"Bearer {api_key.strip()}"
    if offered is not None:
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or token.strip() != offered:
                raise BadRequestError(
                    "two different keys: one in a header and one in Sec-WebSocket-Protocol",
                    code="ambiguous_credentials",
                )
        authorization = f"Bearer {offered}"

    def get(name: str) -> str | None:
        if name == "authorization":
            return authorization
        if name in ("api-key", "sec-websocket-protocol"):
            return None  # read above: the key is in `authorization` now
        return header(name)

    return get


# a WebSocket route: (the upgrade's scope, its protocol, the caller) → the session, to its end
WebSocketHandler = Callable[[RSGIScope, RSGIWebsocketProto, Principal], Awaitable[None]]


class WebSocketUpgrades:
    """The app's WebSocket upgrades: the same edge checks as a request — the client's slot (held for
    the socket's life), its address, its key (websocket_credentials), the route rules — each
    refusal an HTTP status, which is all RSGI lets an upgrade be refused with; then the route."""

    def __init__(
        self,
        routes: Mapping[str, WebSocketHandler],
        slots: ClientSlots,
        client_of: Callable[[RSGIScope], str],
        policy: NetworkPolicy | None,
        authenticate: Callable[[HeaderGetter, RSGIScope], Awaitable[Principal]],
    ) -> None:
        self._routes = routes
        self._slots = slots
        self._client_of = client_of
        self._policy = policy
        self._authenticate = authenticate

    async def __call__(self, scope: RSGIScope, proto: RSGIWebsocketProto) -> None:
        path = scope.path
        route = self._routes.get(path)
        if route is None:
            proto.close(404)
            return
        taker = self._client_of(scope)
        busy = self._slots.busy
        if busy.get(taker, 0) >= self._slots.limit:
            proto.close(429)
            return
        busy[taker] = busy.get(taker, 0) + 1
        try:
            try:
                if self._policy is not None:
                    self._policy.check_address(taker, path)
                refuse_ambiguous_credentials(scope.headers)
                principal = await self._authenticate(websocket_credentials(scope.headers.get), scope)
            except LLMError as error:
                log.info("WebSocket upgrade on %s refused: %s", path, error.message)
                proto.close(error.status_code)
                return
            await route(scope, proto, principal)
        except Exception:
            # a bug, not a user error: the upgrade refused (or the socket closed); the worker serves on
            log.exception("unhandled error on the WebSocket %s", path)
            proto.close(500)
        finally:
            left = busy[taker] - 1
            if left:
                busy[taker] = left
            else:
                del busy[taker]
