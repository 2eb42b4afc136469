"""Putting the realtime route into a gateway worker, after the key runtime (whose gate it uses). The
route's machinery is built on the first upgrade: most gateways never receive one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmrelay.calls.principal import Principal
from llmrelay.config.loader import GatewayConfig
from llmrelay.cost.catalog import Catalog
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.http import RSGIScope
from llmrelay.proxy.state import GatewayState
from llmrelay.proxy.websocket import RSGIWebsocketProto
from llmrelay.transport.http import HttpTransport

if TYPE_CHECKING:
    from llmrelay.proxy.realtime.route import RealtimeRoute

# LiteLLM's three: /openai/v1/realtime is where a client whose base URL is the `/openai` pass-through
# route (`http://gateway/openai/v1`) connects
PATHS = ("/v1/realtime", "/realtime", "/openai/v1/realtime")


def install_realtime(state: GatewayState, config: GatewayConfig, router: Any) -> None:
    engine = getattr(router, "engine", None)
    registry: ProviderRegistry = engine.registry if engine is not None else ProviderRegistry()
    catalog: Catalog = engine.catalog if engine is not None else Catalog()
    transport: HttpTransport = engine.transport if engine is not None else HttpTransport()
    route = _OnFirstUpgrade(state, config, router, registry, catalog, transport)
    for path in PATHS:
        state.websocket_routes[path] = route


class _OnFirstUpgrade:
    __slots__ = ("_args", "_built")

    def __init__(self, *args: Any) -> None:
        self._args = args
        self._built: RealtimeRoute | None = None

    async def __call__(self, scope: RSGIScope, proto: RSGIWebsocketProto, principal: Principal) -> None:
        if self._built is None:
            self._built = _build(*self._args)
        await self._built(scope, proto, principal)


def _build(
    state: GatewayState, config: GatewayConfig, router: Any, registry: ProviderRegistry,
    catalog: Catalog, transport: HttpTransport,
) -> RealtimeRoute:  # fmt: skip
    from llmrelay.engine.pricing import Pricer
    from llmrelay.providers.openai.realtime import REALTIME_PROVIDERS
    from llmrelay.proxy.realtime.route import RealtimeDeployment, RealtimeRoute
    from llmrelay.proxy.realtime.session import Bounds
    from llmrelay.router.deployments import parse_model_list

    groups: dict[str, list[RealtimeDeployment]] = {}
    for parsed in parse_model_list(config.model_list, registry, catalog):
        if parsed.is_wildcard or parsed.target.provider not in REALTIME_PROVIDERS:
            continue
        deployment = RealtimeDeployment(parsed.id, parsed.model_name, parsed.target, parsed.balance_weight)
        groups.setdefault(parsed.model_name, []).append(deployment)
    general = config.general
    bounds = Bounds(
        max_message_bytes=general.realtime_max_message_bytes,
        idle_seconds=general.realtime_idle_timeout_seconds,
        max_seconds=general.realtime_max_session_seconds,
    )
    return RealtimeRoute(
        groups=groups, names=router, known=frozenset(router.model_names()), registry=registry,
        pricer=Pricer(registry, catalog), transport=transport, gate=state.session_gate, bounds=bounds,
    )  # fmt: skip
