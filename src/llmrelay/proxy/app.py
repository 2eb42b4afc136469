"""The gateway as a bare RSGI application: a dict lookup from (method, path) to a handler, auth as a
plain function call, and one place that turns any failure into a well-formed error answer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from llmrelay.auth.master import open_access
from llmrelay.auth.presented import CredentialPending, HeaderGetter, refuse_ambiguous_credentials
from llmrelay.calls.principal import ANONYMOUS, Principal
from llmrelay.proxy.admin_routes import AdminRoutes
from llmrelay.proxy.answers import openai_error_body
from llmrelay.proxy.anthropic_routes import AnthropicRoutes, anthropic_error_body
from llmrelay.proxy.body_deadline import BodyDeadlines
from llmrelay.proxy.client_address import ClientAddresses, peer_host
from llmrelay.proxy.client_slots import ClientSlots
from llmrelay.proxy.http import Request, RequestIds, RSGIProto, RSGIScope
from llmrelay.proxy.network_policy import NetworkPolicy
from llmrelay.proxy.openai_routes import OpenAIRoutes
from llmrelay.proxy.openapi import ApiDocument, Auth, ServedRoute, gateway_docs, static_file_doc
from llmrelay.proxy.paths import check_path, slash_redirect
from llmrelay.proxy.responses_routes import ResponsesRoutes
from llmrelay.proxy.state import Authenticate, GatewayState
from llmrelay.proxy.ui import UiRoutes
from llmrelay.proxy.websocket import WebSocketUpgrades
from llmrelay.transport.clock import UPSTREAM_CLOCK
from llmrelay.types.errors import (
    AuthenticationError,
    BadRequestError,
    LLMError,
    NotFoundError,
    PermissionDeniedError,
)

log = logging.getLogger("llmrelay.proxy")


def _peer_of(scope: RSGIScope) -> str:
    return peer_host(scope.client)


Handler = Callable[[Request, Principal], Awaitable[None]]
# dialects decide the error body shape and which headers carry the key
OPENAI: Auth = "openai"
ANTHROPIC: Auth = "anthropic"
PUBLIC: Auth = "public"
# GET /v1/models/{model}: the rest of the path is the model id (which may hold slashes)
_MODEL_PREFIXES = ("/v1/models/", "/models/")


class _MethodNotAllowed(LLMError):
    status_code = 405
    error_type = "invalid_request_error"


class _UpgradeRequired(LLMError):
    status_code = 426
    error_type = "invalid_request_error"


def _route_refused(path: str) -> PermissionDeniedError:
    # a JWT's role (litellm_jwtauth.*_allowed_routes) does not take in this route
    return PermissionDeniedError(f"this token's role may not call {path}", code="route_not_allowed")


class GatewayApp:
    """RSGI entry point (`__rsgi__`). One per worker process; owns its GatewayState."""

    def __init__(self, state: GatewayState, *, version: str = "0") -> None:
        self.state = state
        self._ids = RequestIds()
        self._deadlines = BodyDeadlines(state.settings.request_body_timeout_seconds)
        self._slots = ClientSlots(state.settings.max_requests_per_client)
        self._busy = self._slots.busy
        proxies = state.settings.forwarding_proxies()
        # without trusted proxies the client is the peer: no resolver on the hot path
        self._clients = ClientAddresses(proxies) if proxies else None
        self._client_of = self._clients.of if self._clients is not None else _peer_of
        # allowed_ips and the route rules (keys' own allowed_routes included); None: nothing to check
        self._policy = NetworkPolicy.from_settings(
            state.settings, key_routes=state.authenticate is not open_access
        )
        openai = OpenAIRoutes(state)
        anthropic = AnthropicRoutes(state)
        responses = ResponsesRoutes(state)
        admin = AdminRoutes(state, version)
        self._models_route = openai.get_model
        self._upgrades = WebSocketUpgrades(
            state.websocket_routes, self._slots, self._client_of, self._policy, self._authenticate_with
        )
        routes: dict[tuple[str, str], tuple[Handler, Auth]] = {}

        def add(method: str, path: str, handler: Handler, dialect: Auth, *, v1_alias: bool = True) -> None:
            routes[(method, path)] = (handler, dialect)
            if v1_alias and path.startswith("/v1/"):
                routes[(method, path[3:])] = (handler, dialect)

        docs = gateway_docs()
        # the call types' routes, each declared once with its description (proxy/route_table.py)
        for route in openai.routes:
            add(route.method, route.path, route.handler, route.auth, v1_alias=route.v1_alias)
            docs[(route.method, route.path)] = route.doc
        add("POST", "/v1/responses", responses.create, OPENAI)
        add("GET", "/v1/models", openai.list_models, OPENAI)
        add("POST", "/v1/messages", anthropic.messages, ANTHROPIC)
        add("POST", "/v1/messages/count_tokens", anthropic.count_tokens, ANTHROPIC)
        add("GET", "/health", admin.health, OPENAI)
        add("GET", "/health/liveliness", admin.liveliness, PUBLIC)
        add("GET", "/health/liveness", admin.liveliness, PUBLIC)
        add("GET", "/health/readiness", admin.readiness, PUBLIC)
        add("GET", "/model/info", admin.model_info, OPENAI)
        add("GET", "/v1/model/info", admin.model_info, OPENAI)
        if state.metrics is not None:
            metrics_auth = OPENAI if state.metrics_need_key else PUBLIC
            add("GET", "/metrics", admin.metrics, metrics_auth, v1_alias=False)
        for method, path, handler in state.extra_routes:
            add(method, path, handler, OPENAI, v1_alias=False)
        for method, path, handler in state.public_routes:
            add(method, path, handler, PUBLIC, v1_alias=False)
        if state.settings.enable_docs:
            add("GET", "/openapi.json", admin.openapi, PUBLIC)
            add("GET", "/docs", admin.docs, PUBLIC)
        docs.update(state.extra_openapi)
        if not state.settings.disable_admin_ui:
            # static files, public: the page holds no data; it calls the admin API with the user's key
            for path, handler, content_type in UiRoutes().routes():
                add("GET", path, handler, PUBLIC, v1_alias=False)
                docs[("GET", path)] = static_file_doc(content_type)
        self._routes = routes
        # what a 405 names in its Allow header
        self._methods: dict[str, set[str]] = {}
        for method, path in routes:
            self._methods.setdefault(path, set()).add(method)
        # built even when not served: a route without a description stops the app here
        self.openapi = ApiDocument(version, self.served_routes(), docs)
        admin.publish(self.openapi)

    def served_routes(self) -> list[ServedRoute]:
        """Every route this gateway answers, exact paths and path prefixes, with who may call it
        (anyone, on a gateway without a master key)."""
        is_open = self.state.authenticate is open_access

        def auth(dialect: Auth) -> Auth:
            return PUBLIC if is_open else dialect

        served = [ServedRoute(m, path, auth(dialect)) for (m, path), (_, dialect) in self._routes.items()]
        served += [ServedRoute("GET", prefix, auth(OPENAI), prefix=True) for prefix in _MODEL_PREFIXES]
        served += [
            ServedRoute(method, prefix, auth(OPENAI), prefix=True)
            for method, prefix, _ in self.state.extra_prefix_routes
        ]
        return served

    def route_table(self) -> frozenset[tuple[str, str]]:
        """Every (method, exact path) this gateway answers."""
        return frozenset(self._routes)

    async def __rsgi__(self, scope: RSGIScope, proto: RSGIProto) -> None:
        # The edge checks of every request are fused here, in one frame: the client's address and
        # its in-flight slot (proxy/client_slots.py), the ambiguous-credentials test and the
        # authentication. Each was a method call of its own, and on this path the calls cost more
        # than the checks (ADR 0008). The body deadline is kept by Request.body, the nesting bound
        # by BodyDecoder.decode: both run only for requests that read a body.
        if scope.proto != "http":
            if scope.proto == "ws":
                await self._upgrades(scope, proto)  # type: ignore[arg-type]
            return
        # the exact routes are canonical paths; anything else is checked in _unrouted (proxy/paths.py)
        path = scope.path
        req = Request(scope, proto, path, self._ids, self._deadlines)
        route = self._routes.get((scope.method, path))
        if route is None:
            handler = None
            # Anthropic's error shape on its paths and its pass-through route (Claude Code reads it)
            anthropic = path.startswith("/anthropic/")
            if anthropic or path.endswith(("/messages", "/messages/count_tokens")):
                dialect = ANTHROPIC
            else:
                dialect = OPENAI
        else:
            handler, dialect = route
        busy = self._busy
        address = None
        # the transport adds this request's upstream waits to its clock (the overhead header)
        clock_token = UPSTREAM_CLOCK.set(req.clock)
        try:
            if self._clients is None:
                # the peer's host, cut as a key only: an IPv6 address keeps its brackets
                client = scope.client
                taker = client[: client.rfind(":")] if ":" in client else client
            else:
                taker = self._clients.of(scope)
            taken = busy.get(taker, 0)
            if taken >= self._slots.limit:
                raise self._slots.refusal()
            busy[taker] = taken + 1
            address = taker
            policy = self._policy
            if policy is not None:
                policy.check_address(taker, path)
            if handler is None:
                await self._unrouted(req, scope.method, path)
                return
            principal = ANONYMOUS
            if dialect != PUBLIC:
                headers = scope.headers
                # one credential header (the common case) needs no more than these tests;
                # refuse_ambiguous_credentials decides the rest
                if (
                    len(headers.get_all("authorization")) > 1
                    or "x-api-key" in headers
                    or "api-key" in headers
                    or "x-goog-api-key" in headers
                ):
                    refuse_ambiguous_credentials(headers)
                authenticate = self.state.authenticate
                assert authenticate is not None
                try:
                    try:
                        principal = authenticate(req.header, anthropic_dialect=dialect == ANTHROPIC)
                    except CredentialPending as pending:  # a JWT whose key or rows must be read first
                        principal = await pending.resolve()
                except AuthenticationError:
                    self._failed_authentication(scope)
                    raise
                self._check_route(principal, path)
            await handler(req, principal)
        except LLMError as error:
            self._fail(req, error, dialect)
        except Exception:
            # a bug, not a user error: answer 500 and keep the worker serving
            log.exception("unhandled error on %s %s (request %s)", scope.method, path, req.request_id)
            self._fail(req, LLMError("internal error in the gateway", code="internal_error"), dialect)
        finally:
            UPSTREAM_CLOCK.reset(clock_token)
            if address is not None:
                # the slot given back; an address with nothing in flight leaves the table
                left = busy[address] - 1
                if left:
                    busy[address] = left
                else:
                    del busy[address]

    async def _authenticate_with(self, header: HeaderGetter, scope: RSGIScope) -> Principal:
        try:
            principal = await self._credential(header, anthropic_dialect=False)
        except AuthenticationError:
            self._failed_authentication(scope)
            raise
        self._check_route(principal, scope.path)
        return principal

    async def _unrouted(self, req: Request, method: str, path: str) -> None:
        redirect = slash_redirect(path)
        if redirect is not None:
            self._redirect(req, redirect)
            return
        check_path(path)
        if path in self.state.websocket_routes:
            # RFC 9110 §15.5.22: the route exists, over another protocol
            req.response_headers.append(("upgrade", "websocket"))
            message = f"{path} is a WebSocket route: open it with an upgrade"
            raise _UpgradeRequired(message, code="upgrade_required")
        model_prefix = next((p for p in _MODEL_PREFIXES if path.startswith(p)), None)
        if model_prefix is not None and method == "GET":
            principal = await self._authenticate(req, path)
            await self._models_route(req, principal, path[len(model_prefix) :])
            return
        for forward in self.state.forward_routes:
            if forward.matches(path):
                await forward(req, self._authenticator(req))
                return
        for route_method, prefix, handler in self.state.extra_prefix_routes:
            if method == route_method and path.startswith(prefix):
                await handler(req, await self._authenticate(req, path))
                return
        allowed = set(self._methods.get(path, ()))
        if model_prefix is not None:
            allowed.add("GET")
        allowed |= {m for m, prefix, _ in self.state.extra_prefix_routes if path.startswith(prefix)}
        if allowed:
            # RFC 9110: a 405 says which methods the path does take
            req.response_headers.append(("allow", ", ".join(sorted(allowed))))
            raise _MethodNotAllowed(f"method {method} not allowed on {path}", code="method_not_allowed")
        raise NotFoundError(f"no route {method} {path}", code="not_found")

    async def _authenticate(self, req: Request, path: str) -> Principal:
        """Who is calling: one unambiguous credential, checked by the configured authenticator, and
        allowed this route (the routes matched by prefix; __rsgi__ does the same inline for the
        exact routes)."""
        assert self.state.authenticate is not None
        refuse_ambiguous_credentials(req.scope.headers)
        return await self._authenticate_with(req.header, req.scope)

    async def _credential(self, header: HeaderGetter, *, anthropic_dialect: bool) -> Principal:
        assert self.state.authenticate is not None
        try:
            return self.state.authenticate(header, anthropic_dialect=anthropic_dialect)
        except CredentialPending as pending:  # a JWT whose key or rows must be read first
            return await pending.resolve()

    def _check_route(self, principal: Principal, path: str) -> None:
        """The route rules: the network policy's (admin_only_routes, allowed_routes, a key's own
        allowed_routes) and a JWT role's."""
        if self._policy is not None and self._policy.checks_routes:
            self._policy.check_route(principal, path)
        if principal.routes is not None and not principal.routes.allows(path):
            raise _route_refused(path)

    def _authenticator(self, req: Request) -> Authenticate:
        """Authentication for a route that finds the key itself (a pass-through route)."""

        async def authenticate(header: HeaderGetter, anthropic_dialect: bool) -> Principal:
            refuse_ambiguous_credentials(req.scope.headers)
            try:
                principal = await self._credential(header, anthropic_dialect=anthropic_dialect)
            except AuthenticationError:
                self._failed_authentication(req.scope)
                raise
            self._check_route(principal, req.scope.path)
            return principal

        return authenticate

    def _failed_authentication(self, scope: RSGIScope) -> None:
        # only failures are counted: past the address's limit this raises 429 instead
        if self.state.auth_throttle is not None:
            self.state.auth_throttle.failed(self._client_of(scope))

    @staticmethod
    def _redirect(req: Request, target: str) -> None:
        query = req.scope.query_string
        location = f"{target}?{query}" if query else target
        error = BadRequestError(f"request path ends with '/': the route is {target}", code="redirect")
        body = openai_error_body(error)
        req.send_json(308, body, [("location", location)])

    @staticmethod
    def _fail(req: Request, error: LLMError, dialect: str) -> None:
        if req.started:
            # the status line is out (a stream): nothing more can be said on this connection
            log.warning("request %s failed after its answer started: %s", req.request_id, error)
            return
        body = anthropic_error_body(error) if dialect == ANTHROPIC else openai_error_body(error)
        req.send_error(error, body)

    # granian calls these around the worker's serving loop
    def __rsgi_init__(self, loop: Any) -> None:
        # Granian's worker processes call this before their loop runs: start the services there. An
        # embedding server (loop already running) must await `astart()` itself.
        if self.state.services and not loop.is_running():
            loop.run_until_complete(self.astart())

    async def astart(self) -> None:
        for service in self.state.services:
            await service.start()

    def __rsgi_del__(self, loop: Any) -> None:
        # Granian's worker processes call this after their loop stopped: flush and close the router
        # there. An embedding server (loop still running) must await `aclose()` itself.
        if not loop.is_running():
            loop.run_until_complete(self.aclose())

    async def aclose(self) -> None:
        self._deadlines.close()
        # the router's close waits for queued callbacks, so the sinks have heard everything by then
        await self.state.router.aclose()
        for sink in self.state.sinks:
            sink.close()
        for service in reversed(self.state.services):
            await service.stop()
