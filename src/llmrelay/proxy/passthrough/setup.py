"""Putting the pass-through routes into a gateway worker: the provider routes, and the custom
endpoints of `general_settings.pass_through_endpoints`. After the key runtime, whose gate they use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llmrelay.config.loader import GatewayConfig
from llmrelay.cost.catalog import Catalog
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.http import Request
from llmrelay.proxy.passthrough.prefixes import PROVIDER_ROUTES, ProviderRoute
from llmrelay.proxy.state import Authenticate, GatewayState
from llmrelay.router.deployments import parse_model_list
from llmrelay.transport.http import HttpTransport
from llmrelay.types.deployment import Deployment

if TYPE_CHECKING:
    from llmrelay.proxy.passthrough.routes import ProviderRoutes


def install_passthrough(state: GatewayState, config: GatewayConfig, router: Any) -> None:
    engine = getattr(router, "engine", None)
    registry: ProviderRegistry = engine.registry if engine is not None else ProviderRegistry()
    catalog: Catalog = engine.catalog if engine is not None else Catalog()
    transport: HttpTransport = engine.transport if engine is not None else HttpTransport()
    credentials, served_by = _configured(config.router_model_list(), registry, catalog)

    def build() -> ProviderRoutes:
        from llmrelay.engine.pricing import Pricer
        from llmrelay.proxy.passthrough.billing import PassThroughBilling
        from llmrelay.proxy.passthrough.routes import ProviderRoutes

        return ProviderRoutes(
            registry=registry,
            pricer=Pricer(registry, catalog),
            transport=transport,
            billing=PassThroughBilling(state.call_gate),
            credentials=credentials,
            served_by=served_by,
            body_limit=state.body_limit,
        )

    provider_routes = _OnFirstUse(build)
    state.forward_routes.extend(_LazyRoute(provider_routes, route) for route in PROVIDER_ROUTES)
    endpoints = config.general.pass_through_endpoints or ()
    if endpoints:
        from llmrelay.proxy.passthrough.billing import PassThroughBilling
        from llmrelay.proxy.passthrough.custom import CustomEndpoint

        billing = PassThroughBilling(state.call_gate)
        for i, endpoint in enumerate(endpoints):
            # before the provider routes: a custom path is the more specific one
            state.forward_routes.insert(i, CustomEndpoint(endpoint, transport, billing, state.body_limit))


class _OnFirstUse:
    """The provider routes' machinery (the adapters' parsers, the meters, the clouds' signing),
    built when the first pass-through request arrives: every gateway serves these routes, few
    receive any, and an idle worker should not hold what they need (tests/cli/test_idle_memory.py)."""

    __slots__ = ("_build", "_built")

    def __init__(self, build: Callable[[], ProviderRoutes]) -> None:
        self._build = build
        self._built: ProviderRoutes | None = None

    def get(self) -> ProviderRoutes:
        if self._built is None:
            self._built = self._build()
        return self._built


class _LazyRoute:
    """One provider's route (every path below its prefix, any method), forwarded by the routes built
    on first use."""

    __slots__ = ("_prefix", "_route", "_routes")

    def __init__(self, routes: _OnFirstUse, route: ProviderRoute) -> None:
        self._routes = routes
        self._route = route
        self._prefix = route.prefix + "/"

    def matches(self, path: str) -> bool:
        return path.startswith(self._prefix)

    async def __call__(self, req: Request, authenticate: Authenticate) -> None:
        await self._routes.get().forward(req, self._route, authenticate)


def _configured(
    model_list: list[dict[str, Any]], registry: ProviderRegistry, catalog: Catalog
) -> tuple[dict[str, Deployment], dict[str, tuple[Deployment, tuple[str, ...]]]]:
    """provider → the deployment whose credential its route uses (the one marked
    `use_in_pass_through`, else the first); "provider/model" → its first deployment and the groups
    serving it."""
    credentials: dict[str, Deployment] = {}
    marked: set[str] = set()
    served_by: dict[str, tuple[Deployment, tuple[str, ...]]] = {}
    for entry, parsed in zip(model_list, parse_model_list(model_list, registry, catalog), strict=True):
        target = parsed.target
        provider = target.provider
        if (entry.get("litellm_params") or {}).get("use_in_pass_through") and provider not in marked:
            credentials[provider] = target
            marked.add(provider)
        credentials.setdefault(provider, target)
        if parsed.is_wildcard:
            continue
        known = served_by.get(target.qualified_model)
        if known is None:
            served_by[target.qualified_model] = (target, (parsed.model_name,))
        elif parsed.model_name not in known[1]:
            served_by[target.qualified_model] = (known[0], (*known[1], parsed.model_name))
    return credentials, served_by
