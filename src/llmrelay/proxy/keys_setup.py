"""Virtual keys in a gateway worker: `install_keys` puts the key runtime (gate/runtime.py) into the
worker's state — its authenticator, its gate around the router, the admin API over its storage (and
the admin API's OpenAPI), its readiness probe — and starts and stops it with the worker."""

from __future__ import annotations

from llmrelay.config.loader import GatewayConfig
from llmrelay.gate.runtime import KeysRuntime
from llmrelay.gate.settings import KeysSettings
from llmrelay.proxy.admin.api import AdminApi
from llmrelay.proxy.admin.openapi import admin_docs
from llmrelay.proxy.jwt_setup import install_jwt
from llmrelay.proxy.sso_setup import install_sso
from llmrelay.proxy.state import GatewayState


def install_keys(state: GatewayState, config: GatewayConfig) -> KeysRuntime:
    """Put virtual keys into a gateway worker's state: the authenticator, the gate around the router,
    the admin routes (and their OpenAPI), and the runtime to start and stop with the worker."""
    runtime = KeysRuntime(KeysSettings.from_config(config))
    admin = AdminApi(
        runtime.storage,
        runtime.service.authenticator,
        audit=runtime.settings.audit_logs,
        model_names=state.router.model_names,
    )
    state.authenticate = runtime.authenticator
    # first in the chain: every call, of whatever type, is gated before the cache or the router
    middleware = runtime.middleware(state.router)
    state.add_middleware(middleware, first=True)
    state.call_gate = middleware.gate
    # the same gate for the calls admitted once and billed part by part (realtime sessions)
    state.session_gate = runtime.gate
    admin_routes, admin_prefix_routes = admin.routes(), admin.prefix_routes()
    state.extra_routes.extend(admin_routes)
    state.extra_prefix_routes.extend(admin_prefix_routes)
    state.readiness_probes["db"] = runtime.ping_database
    state.extra_openapi.update(admin_docs())
    state.services.append(runtime)
    install_jwt(state, config, runtime)  # after the runtime: its service reads the runtime's database
    if config.general.store_responses:
        from llmrelay.proxy.responses_store import ResponsesSettings, ResponseStore

        # after the runtime among the services: its start migrates the database the store uses
        state.responses = ResponseStore(runtime.storage.responses, ResponsesSettings.from_config(config))
        state.services.append(state.responses)
    # last: dashboard sessions wrap whichever authenticator is in place (keys, or JWTs and keys)
    install_sso(state, config, runtime, admin_routes, admin_prefix_routes)
    if state.metrics is not None:
        state.metrics.watch_spend_quarantine(lambda: runtime.quarantine.count)
    return runtime
