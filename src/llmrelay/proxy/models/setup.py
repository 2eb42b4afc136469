"""Putting run-time models into a gateway worker: with store_model_in_db, the catalog over the key
runtime's database, its change-log listener and the model and credential admin routes (under the
admin API's rules); for any gateway served from a config file, the catalog a config reload swaps
and the reloader (SIGHUP, POST /config/reload)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import GatewayConfig, load_config
from llmrelay.proxy.models.catalog import ModelCatalog
from llmrelay.proxy.reload import RELOAD_PATH, ConfigReloader, reload_docs
from llmrelay.proxy.state import GatewayState
from llmrelay.storage.sealing import SALT_KEY_ENV, Sealer, sealing_secret

if TYPE_CHECKING:
    # the key runtime and the admin API exist only with a database: imported by install_models, so a
    # gateway without one that reloads its file imports neither
    from llmrelay.gate.runtime import KeysRuntime
    from llmrelay.proxy.admin.api import AdminApi

STORE_KEY = "general_settings.store_model_in_db"


def check_model_store(config: GatewayConfig, keys_on: bool, environ: Mapping[str, str] = os.environ) -> None:
    """store_model_in_db needs the key store (a database) and a secret to encrypt with."""
    if not config.general.store_model_in_db:
        return
    if not keys_on:
        raise ConfigError(
            config.source,
            STORE_KEY,
            "needs a database: set general_settings.database_url (or DATABASE_URL), or a master key for "
            "the embedded store",
        )
    import importlib.util

    if importlib.util.find_spec("cryptography") is None:
        raise ConfigError(
            config.source,
            STORE_KEY,
            "needs the Python module 'cryptography' (the stored credentials are encrypted): "
            "pip install 'llmrelay[models]'",
        )
    if sealing_secret(config.general.master_key, environ) is None:
        raise ConfigError(
            config.source,
            STORE_KEY,
            f"needs general_settings.master_key or {SALT_KEY_ENV}: the stored credentials are encrypted "
            "with a key derived from it",
        )


def install_models(
    state: GatewayState, config: GatewayConfig, runtime: KeysRuntime, admin: AdminApi
) -> ModelCatalog:
    """The catalog over the database, applied on every change the change log reports, and its
    routes; started after the key runtime (which migrates the database)."""
    from llmrelay.proxy.admin.audit import AuditTrail
    from llmrelay.proxy.models.credential_routes import CREDENTIALS_PREFIX, CredentialRoutes
    from llmrelay.proxy.models.docs import model_docs
    from llmrelay.proxy.models.routes import MODEL_PREFIX, ModelRoutes

    secret = sealing_secret(config.general.master_key, os.environ)
    assert secret is not None, "check_model_store ran first"
    sealer = Sealer(secret)
    storage = runtime.storage
    catalog = ModelCatalog(state.router, state, config, storage, sealer)
    sync = runtime.service.sync
    sync.listeners.append(catalog.on_changes)
    sync.resync_listeners.append(catalog.refresh)
    trail = AuditTrail(storage, enabled=runtime.settings.audit_logs)
    models = ModelRoutes(catalog, storage, sealer, trail, config.general)
    creds = CredentialRoutes(catalog, storage, sealer, trail, config.general)
    state.extra_routes.extend(
        admin.guarded_routes(
            [
                ("POST", "/model/new", models.new),
                ("POST", "/model/update", models.update),
                ("POST", "/model/delete", models.delete),
                ("POST", "/credentials", creds.new),
                ("GET", "/credentials", creds.list_all),
            ]
        )
    )
    state.extra_prefix_routes.extend(
        admin.guarded_routes(
            [
                ("PATCH", MODEL_PREFIX, models.patch),
                ("GET", CREDENTIALS_PREFIX, creds.get),
                ("PATCH", CREDENTIALS_PREFIX, creds.update),
                ("PUT", CREDENTIALS_PREFIX, creds.update),
                ("DELETE", CREDENTIALS_PREFIX, creds.delete),
            ],
            prefixes=True,
        )
    )
    state.extra_openapi.update(model_docs())
    state.services.append(catalog)
    return catalog


def install_reload(state: GatewayState, config: GatewayConfig, catalog: ModelCatalog | None, *,
                   signal_parent: bool = False) -> ConfigReloader | None:  # fmt: skip
    """The reloader, when the config came from a file; a catalog (file models only) if none yet."""
    if not Path(config.source).is_file():
        return None
    if catalog is None:
        catalog = ModelCatalog(state.router, state, config)
        state.services.append(catalog)
    try:
        # the file as it reads now, without the command line's settings: what a reload compares with
        baseline = load_config(config.source)
    except ConfigError:
        baseline = config
    reloader = ConfigReloader(config.source, catalog, baseline, signal_parent=signal_parent)
    state.extra_routes.append(("POST", RELOAD_PATH, reloader.route))
    state.extra_openapi.update(reload_docs())
    state.reload_status = reloader.view
    state.services.append(reloader)
    return reloader


def catalog_of(state: GatewayState) -> Any:
    return next((s for s in state.services if isinstance(s, ModelCatalog)), None)
