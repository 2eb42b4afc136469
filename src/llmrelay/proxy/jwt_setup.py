"""JWT auth in a gateway worker (`general_settings.enable_jwt_auth`): checked once by the parent
process before serving (`check_jwt`: its settings, JWT_PUBLIC_KEY_URL, a database for its teams and
users, PyJWT installed), then installed beside the virtual keys in each worker (`install_jwt`)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from llmrelay.auth.jwt_settings import JwtAuthSettings, JwtEnvironment
from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import GatewayConfig
from llmrelay.gate.store import keys_store

if TYPE_CHECKING:  # the key runtime needs SQLAlchemy; a gateway without keys never imports it
    from llmrelay.gate.runtime import KeysRuntime
    from llmrelay.proxy.state import GatewayState


def check_jwt(
    config: GatewayConfig, environ: Mapping[str, str] = os.environ
) -> tuple[JwtAuthSettings, JwtEnvironment] | None:
    """The JWT settings when JWT auth is on, None when off; ConfigError naming what is missing."""
    general = config.general
    if not general.enable_jwt_auth:
        if general.litellm_jwtauth is not None:
            raise ConfigError(
                config.source,
                "general_settings.litellm_jwtauth",
                "set, but general_settings.enable_jwt_auth is not true: nothing would check tokens",
            )
        return None
    where = "general_settings.enable_jwt_auth"
    if not keys_store(general, environ).enabled:
        raise ConfigError(
            config.source,
            where,
            "needs a database (database_url or DATABASE_URL) for the tokens' teams and users",
        )
    if importlib.util.find_spec("jwt") is None:
        raise ConfigError(config.source, where, "needs PyJWT: pip install 'llmrelay[jwt]'")
    try:
        environment = JwtEnvironment.read(environ)
    except ValueError as exc:
        raise ConfigError(config.source, where, str(exc)) from None
    return general.litellm_jwtauth or JwtAuthSettings(), environment


def install_jwt(state: GatewayState, config: GatewayConfig, runtime: KeysRuntime) -> None:
    """Put the JWT authenticator in front of the keys' one; started after the key runtime."""
    checked = check_jwt(config)
    if checked is None:
        return
    from llmrelay.auth.jwt_service import JwtAuthService

    service = JwtAuthService(*checked, runtime.service)
    state.authenticate = service.gateway_authenticator()
    state.services.append(service)
