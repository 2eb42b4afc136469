"""SSO sign-in for the dashboard in a gateway worker, when LiteLLM's SSO variables configure an
identity provider (auth/sso_settings.py): checked once by the parent process before serving
(`check_sso`: the variables, a master key, a database for users and sessions, the dashboard on,
PyJWT installed), then installed in each worker (`install_sso`): the SSO routes, and the session
authenticator around the gateway's own."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llmrelay.auth.sso_settings import SsoSettings, SsoUserDefaults, checked_url
from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import GatewayConfig
from llmrelay.gate.store import keys_store

if TYPE_CHECKING:  # the key runtime needs SQLAlchemy; a gateway without keys never imports it
    from llmrelay.gate.runtime import KeysRuntime
    from llmrelay.proxy.state import GatewayState

# the dashboard's routes besides the admin API's own: what a session may call
DASHBOARD_READS = ("/model/info", "/v1/model/info", "/health")


def check_sso(
    config: GatewayConfig, environ: Mapping[str, str] = os.environ
) -> tuple[SsoSettings, SsoUserDefaults, str | None] | None:
    """The SSO settings, the new users' defaults and PROXY_LOGOUT_URL when SSO is configured, None
    when not; ConfigError naming what is missing."""
    general = config.general
    defaults = config.litellm_settings.default_internal_user_params
    try:
        settings = SsoSettings.read(environ)
    except ValueError as exc:
        raise ConfigError(config.source, "SSO", str(exc)) from None
    if settings is None:
        if defaults is not None:
            raise ConfigError(
                config.source,
                "litellm_settings.default_internal_user_params",
                "set, but no SSO provider is configured (GENERIC_CLIENT_ID, GOOGLE_CLIENT_ID or "
                "MICROSOFT_CLIENT_ID): llmrelay applies it to users SSO sign-in creates",
            )
        return None
    where = f"SSO ({settings.provider})"
    if not general.master_key:
        raise ConfigError(config.source, where, "needs general_settings.master_key (the admin API's root)")
    if not keys_store(general, environ).enabled:
        raise ConfigError(
            config.source, where, "needs a database (database_url or DATABASE_URL) for users and sessions"
        )
    if general.disable_admin_ui:
        raise ConfigError(config.source, where, "signs in to the dashboard, but disable_admin_ui is true")
    if importlib.util.find_spec("jwt") is None:
        raise ConfigError(config.source, where, "needs PyJWT: pip install 'llmrelay[jwt]'")
    logout = environ.get("PROXY_LOGOUT_URL", "").strip() or None
    if logout is not None:
        try:
            logout = checked_url(logout, "PROXY_LOGOUT_URL")
        except ValueError as exc:
            raise ConfigError(config.source, where, str(exc)) from None
    return settings, defaults or SsoUserDefaults(), logout


def install_sso(
    state: GatewayState,
    config: GatewayConfig,
    runtime: KeysRuntime,
    admin_routes: list[tuple[str, str, Any]],
    admin_prefix_routes: list[tuple[str, str, Any]],
) -> None:
    """The SSO routes (public) and the session authenticator around the current one; after the key
    runtime and JWT auth, whose authenticator it wraps."""
    checked = check_sso(config)
    if checked is None:
        return
    settings, defaults, logout_url = checked
    from llmrelay.auth.sso_service import SsoService
    from llmrelay.auth.sso_sessions import SessionAuthenticator
    from llmrelay.calls.principal import RouteRule
    from llmrelay.proxy.ui.sso_routes import SsoRoutes, sso_docs

    assert config.general.master_key is not None and state.authenticate is not None
    service = SsoService(settings, defaults, runtime.storage)
    routes = SsoRoutes(service, config.general.master_key, logout_url=logout_url)
    state.public_routes.extend(routes.routes())
    state.extra_openapi.update(sso_docs())
    dashboard = RouteRule(
        paths=frozenset(path for _, path, _ in admin_routes) | frozenset(DASHBOARD_READS),
        prefixes=tuple(prefix for _, prefix, _ in admin_prefix_routes),
    )
    state.authenticate = SessionAuthenticator(state.authenticate, service.sessions, dashboard)
    state.services.append(service)
