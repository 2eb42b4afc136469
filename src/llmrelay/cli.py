"""The `llmrelay` command.

llmrelay serve --config config.yaml [--host H] [--port 4000] [--workers N] [--debug]
llmrelay serve --demo                 simulators + gateway on a built-in config, no keys needed
llmrelay --model openai/gpt-4o [--api-key KEY] [--api-base URL]   one-model quick start
llmrelay --config config.yaml         same as `serve --config` (LiteLLM's spelling)
llmrelay sim [...]                    the provider simulators alone
llmrelay db upgrade [--config FILE] [--database-url URL]   apply the schema migrations
llmrelay --version
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from llmrelay import __version__

EXIT_CONFIG = 2


def _server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", help="LiteLLM-style config.yaml")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=4000, help="port to listen on (default 4000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--debug", action="store_true", help="debug logs and an access log")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmrelay",
        description="llmrelay: an OpenAI- and Anthropic-compatible LLM gateway.",
        epilog="Commands: `llmrelay serve --help`, `llmrelay sim --help`.",
    )
    parser.add_argument("--version", action="version", version=f"llmrelay {__version__}")
    _server_flags(parser)
    parser.add_argument("--model", help="quick start: serve this one model, e.g. openai/gpt-4o")
    parser.add_argument("--api-key", help="quick start: the provider key (else the provider's env var)")
    parser.add_argument("--api-base", help="quick start: the provider's base URL")
    return parser


def build_serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llmrelay serve", description="Run the gateway.")
    _server_flags(parser)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the provider simulators and serve a built-in config over them (no keys needed)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sim":
        from llmrelay.testing import run_simulators_cli

        result: int = run_simulators_cli(args[1:])
        return result
    if args and args[0] == "db":
        return _db(args[1:])
    if args and args[0] == "serve":
        ns = build_serve_parser().parse_args(args[1:])
        if ns.demo:
            from llmrelay.proxy.demo import run_demo

            demo_result: int = run_demo(host=ns.host, port=ns.port, workers=ns.workers, debug=ns.debug)
            return demo_result
        if not ns.config:
            build_serve_parser().error("give --config FILE (or --demo)")
        return _serve_file(ns)
    parser = build_parser()
    ns = parser.parse_args(args)
    if ns.model:
        return _serve_document(ns, _quick_start_document(ns.model, ns.api_key, ns.api_base), "--model")
    if ns.config:
        return _serve_file(ns)
    parser.print_help()
    return 0


def _db(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="llmrelay db", description="Manage the gateway's database.")
    parser.add_argument("action", choices=["upgrade"], help="upgrade: apply every schema migration")
    parser.add_argument("--config", "-c", help="config.yaml whose general_settings.database_url to use")
    parser.add_argument(
        "--database-url", help="the database (else the config's, DATABASE_URL, ./llmrelay.db)"
    )
    ns = parser.parse_args(args)
    import os

    from llmrelay.config.loader import ConfigError, load_config
    from llmrelay.storage import resolve_database_url, upgrade
    from llmrelay.storage.url import redact

    configured = ns.database_url
    if configured is None and ns.config:
        try:
            configured = load_config(ns.config).general.database_url
        except ConfigError as exc:
            print(f"llmrelay: config error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    url = resolve_database_url(configured, os.environ)
    revision = upgrade(url)
    print(f"{redact(url)}: at revision {revision}")
    return 0


def _quick_start_document(model: str, api_key: str | None, api_base: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"model": model}
    if api_key:
        params["api_key"] = api_key
    if api_base:
        params["api_base"] = api_base
    return {"model_list": [{"model_name": model, "litellm_params": params}]}


def _serve_file(ns: argparse.Namespace) -> int:
    import yaml

    from llmrelay.config.loader import ConfigError, load_config

    try:
        load_config(ns.config)  # fails early, in the parent, with the precise message
        with open(ns.config, encoding="utf-8") as handle:
            document = yaml.safe_load(handle) or {}
    except ConfigError as exc:
        print(f"llmrelay: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return _serve_document(ns, document, ns.config)


def _serve_document(ns: argparse.Namespace, document: dict[str, Any], source: str) -> int:
    from llmrelay.config.loader import ConfigError, parse_config
    from llmrelay.proxy.server import ServeOptions, check_router_settings, serve

    try:
        config = parse_config(document, source=source)
        check_router_settings(config)
    except ConfigError as exc:
        print(f"llmrelay: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ValueError as exc:
        print(f"llmrelay: config error: {source}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    names = ", ".join(entry["model_name"] for entry in config.model_list) or "none"
    print(f"llmrelay {__version__}: serving {names} on http://{ns.host}:{ns.port}", file=sys.stderr)
    serve(
        ServeOptions(
            host=ns.host, port=ns.port, workers=ns.workers, debug=ns.debug, document=document, source=source
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
