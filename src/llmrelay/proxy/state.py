"""Everything a gateway worker holds while serving: built once per worker, passed to the routes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from llmrelay.auth.master import authenticator_for
from llmrelay.auth.presented import Authenticator, HeaderGetter
from llmrelay.calls.call import Middleware, Next, chain
from llmrelay.calls.principal import Principal
from llmrelay.config.schema import GeneralSettings
from llmrelay.gate.admission import CallGate, SessionGate
from llmrelay.proxy.auth_throttle import FailedAuthThrottle
from llmrelay.proxy.credentials import without_credentials
from llmrelay.proxy.decode import BodyDecoder
from llmrelay.proxy.http import Request
from llmrelay.proxy.openapi import RouteDoc
from llmrelay.proxy.protocol import ModelRouter
from llmrelay.proxy.websocket import WebSocketHandler
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.errors import Timeout

if TYPE_CHECKING:  # imports the database's libraries: only built with a database
    from llmrelay.proxy.responses_store import ResponseStore

T = TypeVar("T")
# (the request's key headers, whether x-api-key counts) → the caller, or 401 (the app's authenticator
# with its failed-authentication throttle)
Authenticate = Callable[[HeaderGetter, bool], Awaitable[Principal]]


class ForwardRoute(Protocol):
    """A pass-through route (proxy/passthrough/): it authenticates its callers itself, since each
    provider's clients send their key their own way (x-api-key, x-goog-api-key, ?key=)."""

    def matches(self, path: str) -> bool: ...

    async def __call__(self, req: Request, authenticate: Authenticate) -> None: ...


@dataclass(slots=True)
class GatewayState:
    router: ModelRouter
    # the call chain every route hands its Call to: these middlewares in order (the key gate first,
    # then the response cache), then `router.route`; rebuilt by `add_middleware`
    middlewares: list[Middleware] = field(default_factory=list)
    call: Next = field(init=False)
    settings: GeneralSettings = field(default_factory=GeneralSettings)
    # the configured model_list with secrets removed, for /model/info
    model_info: list[dict[str, Any]] = field(default_factory=list)
    authenticate: Authenticator | None = None
    # the two bodies other routes read too (/v1/messages and /v1/responses become chat calls); the
    # other call types' decoders are their routes' (proxy/openai_routes.py)
    chat_decoder: BodyDecoder[ChatRequest] = field(default_factory=lambda: BodyDecoder(ChatRequest))
    text_decoder: BodyDecoder[TextCompletionRequest] = field(
        default_factory=lambda: BodyDecoder(TextCompletionRequest)
    )
    # the Prometheus sink when configured (GET /metrics renders it); every sink, to close at shutdown
    metrics: Any = None
    # GET /metrics asks for a valid key (litellm_settings.require_auth_for_metrics_endpoint)
    metrics_need_key: bool = False
    sinks: list[Any] = field(default_factory=list)
    body_limit: int = 0
    keepalive: float = 10.0
    # optional features (virtual keys): routes they add — (method, path, handler), described in
    # extra_openapi ((method, path) → RouteDoc; a prefix route at its prefix + "{param}") — and
    # objects to `start()` on the worker's loop and `stop()` at exit
    extra_routes: list[tuple[str, str, Any]] = field(default_factory=list)
    # routes with an id in the path: (method, path prefix, handler); the handler reads req.path
    extra_prefix_routes: list[tuple[str, str, Any]] = field(default_factory=list)
    # routes any client may call without a key, which check what they need themselves (SSO sign-in)
    public_routes: list[tuple[str, str, Any]] = field(default_factory=list)
    extra_openapi: dict[tuple[str, str], RouteDoc] = field(default_factory=dict)
    services: list[Any] = field(default_factory=list)
    # what /health/readiness checks besides the process: name → a probe that raises when not ready
    readiness_probes: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    # failed authentications per client address (general_settings.auth_failures_per_window...);
    # None = not throttled
    auth_throttle: FailedAuthThrottle | None = None
    # the key gate (virtual keys), for the routes that gate calls outside the chain (pass-through)
    call_gate: CallGate | None = None
    # pass-through routes, matched after the exact routes
    forward_routes: list[ForwardRoute] = field(default_factory=list)
    # stored Responses (store / previous_response_id / GET /v1/responses/{id}); None: no database, or
    # general_settings.store_responses is false (proxy/responses_store.py)
    responses: ResponseStore | None = None
    # the key gate again, for sessions admitted once and billed part by part (realtime)
    session_gate: SessionGate | None = None
    # WebSocket routes by exact path (proxy/realtime/): called with the authenticated caller
    websocket_routes: dict[str, WebSocketHandler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.authenticate is None:
            self.authenticate = authenticator_for(self.settings.master_key)
        if self.auth_throttle is None and self.settings.auth_failures_per_window > 0:
            self.auth_throttle = FailedAuthThrottle(
                limit=self.settings.auth_failures_per_window,
                window=self.settings.auth_failure_window_seconds,
                max_addresses=self.settings.auth_failure_max_addresses,
            )
        self.metrics_need_key = self.metrics_need_key or bool(self.settings.require_auth_for_metrics_endpoint)
        self.body_limit = self.settings.max_body_bytes()
        self.keepalive = self.settings.stream_keepalive_seconds
        self.call = chain(self.middlewares, self.router.route)

    def add_middleware(self, middleware: Middleware, *, first: bool = False) -> None:
        """Put `middleware` into the call chain: last (just before the router), or `first`."""
        if first:
            self.middlewares.insert(0, middleware)
        else:
            self.middlewares.append(middleware)
        self.call = chain(self.middlewares, self.router.route)

    def within_deadline(self, call: Awaitable[T]) -> Awaitable[T]:
        """The gateway's own request deadline (general_settings.request_timeout_seconds), if set.
        Without one, `call` itself: no coroutine wrapped around every request's call."""
        seconds = self.settings.request_timeout_seconds
        if seconds is None:
            return call
        return self._with_deadline(call, seconds)

    @staticmethod
    async def _with_deadline(call: Awaitable[T], seconds: float) -> T:
        try:
            async with asyncio.timeout(seconds):
                return await call
        except TimeoutError as exc:
            raise Timeout(f"request exceeded the gateway's {seconds}s deadline", code="timeout") from exc


def public_model_info(model_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """model_list without credentials (proxy/credentials.py), LiteLLM's /model/info shape."""
    out = []
    for entry in model_list:
        out.append(
            {
                "model_name": entry.get("model_name"),
                "litellm_params": without_credentials(entry.get("litellm_params") or {}),
                "model_info": without_credentials(entry.get("model_info") or {}),
            }
        )
    return out
