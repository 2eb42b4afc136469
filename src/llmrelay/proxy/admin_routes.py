"""Health, model info and API docs. Off the hot path; kept as plain handlers all the same."""

from __future__ import annotations

from typing import Any

from llmrelay.calls.principal import Principal
from llmrelay.proxy.credentials import without_credentials
from llmrelay.proxy.http import JSON_ENCODER, Request
from llmrelay.proxy.openapi import ApiDocument
from llmrelay.proxy.state import GatewayState

# deployment states the router reports for a deployment that is not taking traffic
_UNHEALTHY_STATES = frozenset({"cooling", "cooldown", "unhealthy", "down", "failed"})


class AdminRoutes:
    def __init__(self, state: GatewayState, version: str) -> None:
        self.state = state
        self.version = version
        # set by publish() once the app knows every route it serves
        self._document: ApiDocument | None = None

    def publish(self, document: ApiDocument) -> None:
        """The OpenAPI document /openapi.json and /docs answer."""
        self._document = document

    def _visible_groups(self, principal: Principal) -> frozenset[str] | None:
        """The model groups whose deployments `principal` may see: those its key may call (an alias
        it may call shows the group behind it); None = every group (an admin, the master key, a proxy
        admin viewer, who reads everything, an unrestricted key, an open gateway)."""
        if principal.is_admin or principal.models is None:
            return None
        if principal.key is not None and principal.key.user_role == "proxy_admin_viewer":
            return None
        router = self.state.router
        targets = {target for name in principal.models if (target := router.alias_target(name)) is not None}
        return principal.models | targets

    async def health(self, req: Request, principal: Principal) -> None:
        """Per deployment, from the router's view (cooldowns, last errors); makes no upstream calls.
        A key sees the deployments of the models it may call, never a credential field."""
        visible = self._visible_groups(principal)
        healthy: list[dict[str, Any]] = []
        unhealthy: list[dict[str, Any]] = []
        for entry in self.state.router.health():
            if visible is not None and entry.get("model_name") not in visible:
                continue
            state = str(entry.get("state", "")).lower()
            (unhealthy if state in _UNHEALTHY_STATES else healthy).append(without_credentials(entry))
        body: dict[str, Any] = {
            "healthy_endpoints": healthy,
            "unhealthy_endpoints": unhealthy,
            "healthy_count": len(healthy),
            "unhealthy_count": len(unhealthy),
        }
        if self.state.reload_status is not None:
            # the last config reload: applied or refused (and why), settings waiting for a restart
            body["config_reload"] = self.state.reload_status()
        req.send_json(200, JSON_ENCODER.encode(body))

    async def liveliness(self, req: Request, principal: Principal) -> None:
        req.send_json(200, b'"I\'m alive!"')

    async def readiness(self, req: Request, principal: Principal) -> None:
        """Ready when every dependency answers (the database, with virtual keys): 200, else 503 —
        what a load balancer or Kubernetes readiness probe reads. Never says why beyond a class
        name (no connection strings)."""
        router = self.state.router
        body: dict[str, object] = {
            "status": "healthy",
            "db": "Not connected",
            "llmrelay_version": self.version,
            # model groups served (aliases are other names for them)
            "models": sum(1 for name in router.model_names() if router.alias_target(name) is None),
        }
        for name, probe in self.state.readiness_probes.items():
            try:
                await probe()
            except (OSError, TimeoutError) as exc:  # probes raise ConnectionError for their own failures
                body["status"] = "unhealthy"
                body[name] = f"unreachable ({type(exc).__name__})"
            else:
                body[name] = "connected"
        req.send_json(200 if body["status"] == "healthy" else 503, JSON_ENCODER.encode(body))

    async def model_info(self, req: Request, principal: Principal) -> None:
        """The configured deployments without credentials (state.model_info), those of the models
        the key may call."""
        entries = self.state.model_info
        visible = self._visible_groups(principal)
        if visible is not None:
            entries = [e for e in entries if e.get("model_name") in visible]
        req.send_json(200, JSON_ENCODER.encode({"data": entries}))

    async def model_group_info(self, req: Request, principal: Principal) -> None:
        """LiteLLM's GET /model_group/info (proxy/model_groups.py), `?model_group=` for one group;
        the groups the key may call."""
        from urllib.parse import parse_qs

        from llmrelay.proxy.model_groups import model_group_info

        asked = parse_qs(req.scope.query_string).get("model_group")
        data = model_group_info(
            self.state.router, self._visible_groups(principal), asked[0] if asked else None
        )
        req.send_json(200, JSON_ENCODER.encode({"data": data}))

    async def metrics(self, req: Request, principal: Principal) -> None:
        from llmrelay.events.sinks.prometheus import CONTENT_TYPE

        body = self.state.metrics.render()
        req.started = True
        req.proto.response_bytes(
            200, [("content-type", CONTENT_TYPE), *req.response_headers, req.overhead_header()], body
        )

    async def openapi(self, req: Request, principal: Principal) -> None:
        assert self._document is not None, "the app publishes its document when built"
        req.send_json(200, self._document.json())

    async def docs(self, req: Request, principal: Principal) -> None:
        req.started = True
        req.proto.response_str(
            200,
            [("content-type", "text/html; charset=utf-8"), *req.response_headers, req.overhead_header()],
            self._document.page() if self._document is not None else "",
        )
