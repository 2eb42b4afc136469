"""What the gateway command does once its flags are read: probe a running gateway, check a config,
or serve one (from --config, --model or --demo)."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from typing import Any

from llmrelay.cli.extras import KEYS_POSTGRES, KEYS_SQLITE, SERVING, MissingExtra, require
from llmrelay.cli.flags import FlagError
from llmrelay.cli.probe import gateway_url, run_health, run_test
from llmrelay.cli.quick_start import QuickStart, quick_start_document
from llmrelay.version import __version__

EXIT_CONFIG = 2
# flags that shape the one model of `--model`: meaningless with a config file
QUICK_START_ONLY = ("api_key", "api_base", "api_version", "alias", "headers", "temperature", "max_tokens")


class UsageError(ValueError):
    """The flags do not go together; one line for the user."""


def run(ns: argparse.Namespace, *, serve_command: bool) -> int:
    try:
        return _run(ns, serve_command)
    except (FlagError, UsageError, MissingExtra) as exc:
        print(f"llmrelay: {exc}", file=sys.stderr)
        return EXIT_CONFIG


def _run(ns: argparse.Namespace, serve_command: bool) -> int:
    from llmrelay.config.loader import ConfigError

    if ns.health or ns.test:
        try:
            key = _master_key(ns.config)
        except ConfigError as exc:
            print(f"llmrelay: config error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        base = gateway_url(ns.host, ns.port)
        return run_health(base, key) if ns.health else run_test(base, ns.model, key)
    _check_combinations(ns)
    if ns.demo:
        from llmrelay.cli.demo import run_demo

        require(SERVING, "serving the gateway")
        require(KEYS_SQLITE, "the demo's virtual keys (an embedded SQLite store)")
        from llmrelay.config.preflight import check_address

        problem = check_address(ns.host, ns.port)
        if problem:
            print(f"llmrelay: {problem}", file=sys.stderr)
            return EXIT_CONFIG

        demo_result: int = run_demo(
            host=ns.host, port=ns.port, workers=ns.num_workers, debug=_debug(ns),
            ssl_cert=ns.ssl_certfile_path, ssl_key=ns.ssl_keyfile_path, http2=bool(ns.http2),
        )  # fmt: skip
        return demo_result
    try:
        document, source = _document(ns)
    except ConfigError as exc:
        print(f"llmrelay: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return _check_and_serve(ns, document, source)


def _check_combinations(ns: argparse.Namespace) -> None:
    if ns.demo and (ns.config or ns.model):
        raise UsageError("--demo serves its own config: give it without --config or --model")
    if ns.config and ns.model:
        raise UsageError("give --config FILE or --model MODEL, not both (put the model in the config)")
    if not (ns.demo or ns.config or ns.model):
        raise UsageError("give --config FILE, --model MODEL or --demo (see `llmrelay --help`)")
    if not ns.model:
        spelled = [f"--{name}" for name in QUICK_START_ONLY if getattr(ns, name)]
        if spelled:
            raise UsageError(f"{', '.join(spelled)} only go with --model (a config file sets them per model)")
    if bool(ns.ssl_certfile_path) != bool(ns.ssl_keyfile_path):
        raise UsageError("HTTPS needs both --ssl_certfile_path and --ssl_keyfile_path")
    if ns.http2 and not ns.ssl_certfile_path:
        raise UsageError("--http2 is served over TLS only: give --ssl_certfile_path and --ssl_keyfile_path")
    for path in (ns.ssl_certfile_path, ns.ssl_keyfile_path):
        if path and not os.path.isfile(path):
            raise UsageError(f"cannot read {path}: no such file")
    if ns.num_workers < 1:
        raise UsageError(f"--num_workers: expected at least 1, got {ns.num_workers}")
    if ns.granian_threads is not None and ns.granian_threads < 1:
        raise UsageError(f"--granian_threads: expected at least 1, got {ns.granian_threads}")
    if not 0 < ns.port < 65536:
        raise UsageError(f"--port: expected 1 to 65535, got {ns.port}")
    if ns.request_timeout is not None and not ns.request_timeout > 0:
        raise UsageError(f"--request_timeout: expected seconds greater than 0, got {ns.request_timeout}")


def _debug(ns: argparse.Namespace) -> bool:
    return bool(ns.debug or ns.detailed_debug)


def _master_key(config_path: str | None) -> str | None:
    if not config_path:
        return None
    from llmrelay.config.loader import load_config

    return load_config(config_path).general.master_key


def _document(ns: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """The raw config document (os.environ/ references unresolved: each worker resolves its own) and
    its source for messages, with the command line's gateway-wide settings put in."""
    if ns.model:
        spec = QuickStart(
            ns.model,
            ns.api_key,
            ns.api_base,
            ns.api_version,
            ns.alias,
            ns.headers,
            ns.temperature,
            ns.max_tokens,
        )
        document, source = quick_start_document(spec), "--model"
    else:
        document, source = _read_config(ns.config), ns.config
    litellm_settings = document.get("litellm_settings")
    litellm_settings = dict(litellm_settings) if isinstance(litellm_settings, dict) else {}
    if ns.drop_params:
        litellm_settings["drop_params"] = True
    if ns.request_timeout is not None:
        litellm_settings["request_timeout"] = ns.request_timeout
    if litellm_settings:
        document["litellm_settings"] = litellm_settings
    if ns.keepalive_timeout is not None:
        general = document.get("general_settings")
        general = dict(general) if isinstance(general, dict) else {}
        document["general_settings"] = {**general, "connection_idle_timeout_seconds": ns.keepalive_timeout}
    if ns.data_dir:
        general = document.get("general_settings")
        general = dict(general) if isinstance(general, dict) else {}
        document["general_settings"] = {**general, "data_dir": ns.data_dir}
    return document, source


def _read_config(path: str) -> dict[str, Any]:
    import yaml

    from llmrelay.config.loader import load_config

    load_config(path)  # fails early, in the parent, with the precise message
    with open(path, encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle) or {}
    return document


def _check_and_serve(ns: argparse.Namespace, document: dict[str, Any], source: str) -> int:
    from llmrelay.config.loader import ConfigError, parse_config
    from llmrelay.gate.store import DataDirError, keys_store
    from llmrelay.proxy.server import ServeOptions, check_router_settings, serve
    from llmrelay.proxy.workers import check_workers

    try:
        config = parse_config(document, source=source)
        check_router_settings(config)
        check_workers(config, ns.num_workers)
    except ConfigError as exc:
        print(f"llmrelay: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ValueError as exc:
        print(f"llmrelay: config error: {source}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if ns.validate_config:
        print(f"llmrelay: {source}: config OK ({len(config.model_list)} models)")
        return 0
    store = keys_store(config.general, os.environ)
    if store.enabled:
        modules = KEYS_POSTGRES if store.on_postgres else KEYS_SQLITE
        require(modules, "virtual keys (a database_url, or a master key: the embedded store)")
    if not ns.skip_server_startup:
        require(SERVING, "serving the gateway")
    try:
        store.prepare()
    except DataDirError as exc:
        print(f"llmrelay: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if ns.skip_server_startup:
        return _set_up_only(config)
    names = _served_names(config.model_list)
    from llmrelay.config.preflight import check_address

    problem = check_address(ns.host, ns.port)
    if problem:
        print(f"llmrelay: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    scheme = "https" if ns.ssl_certfile_path else "http"
    print(f"llmrelay {__version__}: serving {names} on {scheme}://{ns.host}:{ns.port}", file=sys.stderr)
    serve(
        ServeOptions(
            host=ns.host, port=ns.port, workers=ns.num_workers, debug=_debug(ns), document=document,
            source=source, runtime_threads=ns.granian_threads, ssl_cert=ns.ssl_certfile_path,
            ssl_key=ns.ssl_keyfile_path, http2=bool(ns.http2),
        )
    )  # fmt: skip
    return 0


def _served_names(model_list: list[dict[str, Any]]) -> str:
    """The model groups the gateway serves, each once (a group of several deployments is listed
    once, with how many deployments balance it)."""
    counts = Counter(str(entry.get("model_name")) for entry in model_list)
    return ", ".join(name if n == 1 else f"{name} ({n} deployments)" for name, n in counts.items()) or "none"


def _set_up_only(config: Any) -> int:
    """--skip_server_startup: what the gateway does before serving that outlives it (the database
    schema), then exit."""
    from llmrelay.gate.store import keys_store

    url = keys_store(config.general, os.environ).database_url
    if url is not None:
        from llmrelay.storage import upgrade
        from llmrelay.storage.url import redact

        revision = upgrade(url)
        print(f"llmrelay: {redact(url)}: at revision {revision}")
    print("llmrelay: setup done; not starting the server (--skip_server_startup)")
    return 0
