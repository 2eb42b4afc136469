"""Building the app from a config, and running it on Granian (one or more worker processes).

Worker processes rebuild the app themselves (Granian imports `app_from_env` in each): the parent passes
the config document and options through one environment variable, so `--workers N` needs no shared
state and no pickling. The document holds `os.environ/NAME` references unresolved when it came from a
file; each worker resolves them from its own environment."""

from __future__ import annotations

import gc
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

import msgspec

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import GatewayConfig, parse_config
from llmrelay.proxy.app import GatewayApp
from llmrelay.proxy.connections import connection_cap, open_files_limit
from llmrelay.proxy.state import GatewayState, public_model_info

if TYPE_CHECKING:
    from llmrelay.events.sinks.prometheus import LabelNames

SERVE_ENV = "LLMRELAY_SERVE_DOCUMENT"

log = logging.getLogger("llmrelay.proxy")


class ServeOptions(msgspec.Struct, kw_only=True):
    host: str = "0.0.0.0"
    port: int = 4000
    workers: int = 1
    debug: bool = False
    # Granian's runtime threads per worker (LiteLLM's --granian_threads); None keeps Granian's 1
    runtime_threads: int | None = None
    # both set: serve HTTPS with this certificate and key (PEM files)
    ssl_cert: str | None = None
    ssl_key: str | None = None
    # with TLS: offer HTTP/2 by ALPN besides HTTP/1.1 (Granian's "auto" mode)
    http2: bool = False
    # with several workers: the directory of their metrics files (proxy/workers.py), set by `serve`
    metrics_dir: str | None = None
    # the raw config document and where it came from (for error messages)
    document: dict[str, Any] = msgspec.field(default_factory=dict)
    source: str = "<config>"


def database_configured(database_url: str | None, environ: Any) -> bool:
    """A database is configured: general_settings.database_url or DATABASE_URL."""
    return bool(database_url or environ.get("DATABASE_URL"))


def keys_enabled(config: GatewayConfig, environ: Any = os.environ) -> bool:
    """Virtual keys are on with a database, or with a master key and the embedded store."""
    from llmrelay.gate.store import keys_store

    return keys_store(config.general, environ).enabled


def build_router(config: GatewayConfig) -> Any:
    import importlib

    router_cls = importlib.import_module("llmrelay.router").Router
    # one serving loop per worker: the event sinks run on it as a background task, not on a thread
    return router_cls(**config.router_kwargs(), callbacks_on_caller_loop=True)


def check_router_settings(config: GatewayConfig) -> None:
    """Build the router once and drop it, so a mistake in its settings (a fallback or alias naming no
    group, an unknown strategy) is one clear line from the parent process, not a traceback from
    every worker. Cheap (≈ 3 ms): building a router opens no thread, connection or file. Then check
    that the configured database answers (config/preflight.py), before "serving" is printed.
    Raises ValueError (ConfigError)."""
    from llmrelay.config.preflight import check_database
    from llmrelay.types.errors import LLMError

    try:
        build_router(config)
    except LLMError as exc:
        raise ConfigError(config.source, "", exc.message) from None
    check_database(config.source, config.general.database_url, os.environ)
    from llmrelay.proxy.models.setup import check_model_store

    check_model_store(config, keys_enabled(config))
    from llmrelay.proxy.jwt_setup import check_jwt

    check_jwt(config)
    from llmrelay.proxy.sso_setup import check_sso

    check_sso(config)


def build_app(
    config: GatewayConfig, router: Any | None = None, *, reload_signals_parent: bool = False
) -> GatewayApp:
    """`reload_signals_parent`: one of several worker processes, whose reload route asks the parent
    to pass SIGHUP on to every worker (proxy/reload.py)."""
    from llmrelay.proxy.models.setup import catalog_of, check_model_store, install_reload
    from llmrelay.version import __version__

    keys_on = keys_enabled(config)
    check_model_store(config, keys_on)
    config.apply_environment()
    router = router if router is not None else build_router(config)
    sinks = config.sinks()
    for warning in sinks.warnings:
        # a sink left out (a missing package or credential) is said once per worker, at start;
        # what the config check already found was printed once, by the parent, with the other notes
        line = f"{config.source}: litellm_settings: {warning}"
        if line not in config.warnings:
            log.warning("%s", line)
    for callback in sinks.callbacks:
        router.add_callback(callback)
    if sinks.metrics is not None:
        sinks.metrics.watch_deployments(router.health)
        sinks.metrics.limit_labels(metric_label_names(router))
    cache = None
    if config.cache is not None:
        from llmrelay.cache import ResponseCache, ResponseCacheMiddleware

        # after the key gate (installed below): cached answers still pass auth, budgets and limits
        cache = ResponseCacheMiddleware(
            ResponseCache(config.cache), getattr(router, "report_cache_hit", None)
        )
    state = GatewayState(
        router=router,
        settings=config.general,
        # LiteLLM reads it from litellm_settings; llmrelay also took it in general_settings
        metrics_need_key=bool(
            config.litellm_settings.require_auth_for_metrics_endpoint
            or config.general.require_auth_for_metrics_endpoint
        ),
        model_info=public_model_info(config.model_list),
        metrics=sinks.metrics,
        sinks=sinks.sinks,
    )
    if cache is not None:
        state.add_middleware(cache)
        state.services.append(cache)
    if config.router_kwargs().get("health_check_interval") is not None:
        from llmrelay.proxy.background import RouterHealthChecks

        state.services.append(RouterHealthChecks(router))
    if config.secrets is not None and config.secrets.names():
        from llmrelay.config.secrets.refresh import SecretRefresher

        # reads the manager's secrets again off the request path; tells when one was rotated
        state.services.append(SecretRefresher(config.secrets))
    if sinks.metrics is not None:
        metrics = sinks.metrics
        # a model added at run time is a label /metrics may show
        state.models_changed.append(lambda: metrics.limit_labels(metric_label_names(router)))
    runtime = None
    if keys_on:
        from llmrelay.proxy.keys_setup import install_keys

        runtime = install_keys(state, config)
        from llmrelay.proxy.files.setup import install_files

        # files and batches: their owners and ids live in the key runtime's database
        install_files(state, config, runtime, router)
    install_reload(state, config, catalog_of(state), signal_parent=reload_signals_parent)
    from llmrelay.proxy.responses_objects import DOCS, StoredResponseRoutes

    # with or without a store: without one, each says why there is nothing to find
    state.extra_prefix_routes.extend(StoredResponseRoutes(state.responses).prefix_routes())
    state.extra_openapi.update(DOCS)
    from llmrelay.proxy.passthrough.setup import install_passthrough

    # after the keys: the pass-through routes gate their calls with the key gate
    install_passthrough(state, config, router)
    from llmrelay.proxy.realtime.setup import install_realtime

    # after the keys too: sessions are admitted and billed by the key gate
    install_realtime(state, config, router)
    if config.mcp_servers:
        from llmrelay.proxy.mcp.setup import install_mcp

        install_mcp(state, config, runtime)  # after the keys too: the gate meters tool calls
    return GatewayApp(state, version=__version__)


def metric_label_names(router: Any) -> LabelNames:
    """The names /metrics may show as labels: the router's model names and the providers llmrelay
    knows; any other name a client sends is counted as `__unknown__` (events/sinks/prometheus.py)."""
    from llmrelay.events.sinks.prometheus import LabelNames
    from llmrelay.providers.registry import ProviderRegistry

    return LabelNames(router.model_names(), [*ProviderRegistry.known(), "cache", "unknown"])


def app_from_env() -> GatewayApp:
    """Granian's factory, run in each worker process."""
    from llmrelay.proxy.log_setup import configure_logging, wants_json

    options = msgspec.json.decode(os.environ[SERVE_ENV], type=ServeOptions)
    config = parse_config(options.document, source=options.source)
    settings = config.litellm_settings
    configure_logging(
        json_logs=wants_json(settings.json_logs, os.environ),
        debug=options.debug or bool(settings.set_verbose),
    )
    _ignore_hangup_until_started()
    app = build_app(config, reload_signals_parent=options.workers > 1)
    if options.metrics_dir is not None and app.state.metrics is not None:
        # /metrics, whichever worker answers it, sums every worker's counts
        app.state.services.append(app.state.metrics.share_across_workers(options.metrics_dir))
    settle_worker_heap()
    return app


def _ignore_hangup_until_started() -> None:
    """SIGHUP asks for a config reload (the parent passes it on to each worker): until the worker's
    reloader listens for it, one must not end the worker, as the default action would."""
    import signal

    signal.signal(signal.SIGHUP, signal.SIG_IGN)


# Young objects allowed before a collection runs. A proxied request allocates a few hundred
# containers that die with it; at the default 700 nearly every request pays for a generation-0
# collection that traverses whatever is alive at that moment (other requests' objects). At this
# size, most of a request's objects are gone before a collection comes. See docs/adr/0003.
YOUNG_OBJECTS_PER_COLLECTION = 20_000


def settle_worker_heap() -> None:
    """Once the app is built: move everything alive into the permanent generation, so the full
    collections a busy worker runs never traverse the modules, config and router again, and let
    generation 0 grow larger before it is collected (see YOUNG_OBJECTS_PER_COLLECTION)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, older, oldest)


def startup_notes(config: GatewayConfig) -> list[str]:
    """Warnings to print before serving: unknown keys, and an open gateway."""
    from llmrelay.gate.store import keys_store

    notes = [f"warning: {w}" for w in config.warnings]
    store = keys_store(config.general, os.environ)
    if store.data_dir is not None:
        notes.append(
            f"virtual keys: embedded SQLite store in {store.data_dir} (set general_settings.database_url "
            "for PostgreSQL, or embedded_database: false for a master-key-only gateway)"
        )
    if not config.general.master_key and not database_configured(config.general.database_url, os.environ):
        notes.append(
            "WARNING: no general_settings.master_key configured: the gateway accepts requests from "
            "ANYONE who can reach it. Set a master key before exposing it."
        )
    if database_configured(config.general.database_url, os.environ) and not config.general.master_key:
        notes.append(
            "warning: a database is configured (virtual keys) but no general_settings.master_key: "
            "the admin API cannot be used and only existing virtual keys are accepted"
        )
    if not config.model_list:
        notes.append("warning: model_list is empty: every model request will get 404")
    for endpoint in config.general.pass_through_endpoints or ():
        if not endpoint.auth:
            notes.append(
                f"warning: pass-through endpoint {endpoint.path} has auth: false (LiteLLM's default): "
                "anyone who can reach the gateway may call it"
            )
    return notes


def serve(options: ServeOptions) -> None:
    """Run until SIGINT/SIGTERM; in-flight requests get general_settings.graceful_shutdown_seconds."""
    from llmrelay.config.preflight import check_address
    from llmrelay.proxy.workers import check_workers, metrics_directory, share_before_fork

    config = parse_config(options.document, source=options.source)
    try:
        check_workers(config, options.workers)
    except ConfigError as exc:
        print(f"llmrelay: config error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    unusable = check_address(options.host, options.port)
    if unusable is not None:
        print(f"llmrelay: {unusable}", file=sys.stderr)
        raise SystemExit(2)
    for note in startup_notes(config):
        print(note, file=sys.stderr)
    general = config.general
    connections = connection_cap(general.max_connections_per_worker, open_files_limit())
    if connections < general.max_connections_per_worker:
        print(
            f"warning: general_settings.max_connections_per_worker lowered from "
            f"{general.max_connections_per_worker} to {connections} to fit the open-files limit "
            f"({open_files_limit()}; raise it with `ulimit -n`)",
            file=sys.stderr,
        )
    from llmrelay.gate.store import keys_store

    # made once by the parent before any worker starts: a problem is one line, not one per worker
    store = keys_store(config.general, os.environ)
    store.prepare()
    if store.enabled:
        from llmrelay.proxy.premigrate import migrate_before_workers

        migrate_before_workers(store)
    with metrics_directory(options.workers) as metrics_dir:
        options.metrics_dir = metrics_dir
        share_before_fork(config, options.workers)
        os.environ[SERVE_ENV] = msgspec.json.encode(options).decode()
        server = _server(options, config, connections)
        # read by Granian when it installs its signal handlers, as serve() starts
        server.signal_handler_reload = _hangup_to_workers(server)
        server.serve()


def _hangup_to_workers(server: Any) -> Any:
    """The parent's SIGHUP handler: pass the signal on to every worker, which reads its config file
    again and swaps it in without dropping a connection (proxy/reload.py). Granian's own handler
    would start new worker processes instead, losing their connections and state."""
    import contextlib
    import signal

    def handler(signum: int, frame: Any) -> None:
        for worker in list(server.wrks):
            pid = getattr(getattr(worker, "inner", None), "pid", None)
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGHUP)

    return handler


def _server(options: ServeOptions, config: GatewayConfig, connections: int) -> Any:
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    general = config.general
    return Server(
        "llmrelay.proxy.server:app_from_env",
        address=options.host,
        port=options.port,
        interface=Interfaces.RSGI,
        workers=options.workers,
        loop=Loops.uvloop if _has_uvloop() else Loops.asyncio,
        factory=True,
        log_level=LogLevels.debug if options.debug else LogLevels.warning,
        log_access=options.debug,
        workers_kill_timeout=max(1, round(config.general.graceful_shutdown_seconds)),
        backlog=2048,
        **_optional_server_settings(options),
        # HTTP/1.1 only unless --http2: in its "auto" mode Granian waits without limit for a silent
        # connection's first bytes (to tell HTTP/1 from HTTP/2), so header_read_timeout never closes
        # it; over TLS, auto takes ALPN's choice (h2 or http/1.1), and that wait is the price
        http=HTTPModes.auto if options.http2 and options.ssl_cert else HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=max(1, round(general.connection_idle_timeout_seconds * 1000)),
            keep_alive=True,
        ),
        # Granian's backpressure holds one permit per open connection: the per-worker connection cap
        backpressure=connections,
    )


def _optional_server_settings(options: ServeOptions) -> dict[str, Any]:
    from pathlib import Path

    settings: dict[str, Any] = {}
    if options.runtime_threads is not None:
        settings["runtime_threads"] = options.runtime_threads
    if options.ssl_cert and options.ssl_key:
        settings["ssl_cert"] = Path(options.ssl_cert)
        settings["ssl_key"] = Path(options.ssl_key)
    return settings


# descriptors a worker keeps for everything but client connections: upstream pools (aiohttp's
# default is 100 per session), the database, Redis, log and spool files
def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True
