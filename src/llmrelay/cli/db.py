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
        "--database-url",
        help="the database (else the config's: its database_url, DATABASE_URL, or with a master key "
        "the embedded store in the data directory; without a config ./llmrelay.db)",
    )
    ns = parser.parse_args(args)

    from llmrelay.config.loader import ConfigError, load_config
    from llmrelay.gate.store import DataDirError, keys_store
    from llmrelay.storage import resolve_database_url, upgrade
    from llmrelay.storage.url import redact

    url: str | None = None
    if ns.database_url is None and ns.config:
        # the database the gateway would serve this config with
        try:
            store = keys_store(load_config(ns.config).general, os.environ)
            store.prepare()
        except ConfigError as exc:
            print(f"llmrelay: config error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        except DataDirError as exc:
            print(f"llmrelay: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        url = store.database_url
    if url is None:
        url = resolve_database_url(ns.database_url, os.environ)
    revision = upgrade(url)
    print(f"{redact(url)}: at revision {revision}")
    return 0
