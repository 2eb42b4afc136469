"""Putting the pass-through routes into a gateway worker: the provider routes, and the custom
endpoints of `general_settings.pass_through_endpoints`. After the key runtime, whose gate they use."""

from __future__ import annotations

from typing import Any

from llmrelay.config.loader import GatewayConfig
from llmrelay.cost.catalog import Catalog
from llmrelay.engine.pricing import Pricer
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.passthrough.billing import PassThroughBilling
from llmrelay.proxy.passthrough.custom import CustomEndpoint
from llmrelay.proxy.passthrough.routes import ProviderRoutes
from llmrelay.proxy.state import GatewayState
from llmrelay.router.deployments import parse_model_list
from llmrelay.transport.http import HttpTransport
from llmrelay.types.deployment import Deployment


def install_passthrough(state: GatewayState, config: GatewayConfig, router: Any) -> None:
    engine = getattr(router, "engine", None)
    registry: ProviderRegistry = engine.registry if engine is not None else ProviderRegistry()
    catalog: Catalog = engine.catalog if engine is not None else Catalog()
    transport: HttpTransport = engine.transport if engine is not None else HttpTransport()
    billing = PassThroughBilling(state.call_gate)
    credentials, served_by = _configured(config.model_list, registry, catalog)
    provider_routes = ProviderRoutes(
        registry=registry,
        pricer=Pricer(registry, catalog),
        transport=transport,
        billing=billing,
        credentials=credentials,
        served_by=served_by,
        body_limit=state.body_limit,
    )
    state.forward_routes.extend(provider_routes.routes())
    for i, endpoint in enumerate(config.general.pass_through_endpoints or ()):
        # before the provider routes: a custom path is the more specific one
        state.forward_routes.insert(i, CustomEndpoint(endpoint, transport, billing, state.body_limit))


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
