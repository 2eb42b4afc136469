"""`llmrelay db upgrade`: apply the schema migrations to the gateway's database."""

from __future__ import annotations

import argparse
import os
import sys

EXIT_CONFIG = 2


def run_db(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="llmrelay db", description="Manage the gateway's database.")
    parser.add_argument("action", choices=["upgrade"], help="upgrade: apply every schema migration")
    parser.add_argument("--config", "-c", help="config.yaml whose general_settings.database_url to use")
    parser.add_argument(
        "--database-url", help="the database (else the config's, DATABASE_URL, ./llmrelay.db)"
    )
    ns = parser.parse_args(args)

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
