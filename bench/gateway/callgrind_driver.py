"""One in-process gateway run for callgrind (docs/adr/0008 and 0009: instructions per request =
(count at N=1100 - count at N=100) / 1000, both runs after the same warm-up, the heap frozen as a
worker serves).

    PYTHONPATH=src:. valgrind --tool=callgrind .venv/bin/python -m bench.gateway.callgrind_driver \
        stream 1100 virtual [--background off]

`--background off` (keyed runs only) moves the key cache's change-log poll and the spend writer's
database drain to once an hour, so the count holds only what each request does (its spend rows still
reach the database, in one batch when the app closes, inside the counted run). Both are timed work:
the poll runs every 0.25 s and the drain every second whatever the traffic, and valgrind runs a
request hundreds of times slower than natively, so a count taken with them on charges each request
with the polls and drains of a fraction of a second of wall time, not of the ~0.5 ms it takes when
served.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from bench.gateway import inproc

HOUR = 3600.0


def _quiet_background() -> None:
    from llmrelay.config.loader import GatewayConfig
    from llmrelay.gate import settings

    configured = settings.KeysSettings.from_config

    def from_config(config: GatewayConfig, environ: Mapping[str, str] = os.environ) -> Any:
        return dataclasses.replace(configured(config, environ), poll_interval=HOUR, flush_interval=HOUR)

    settings.KeysSettings.from_config = from_config  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=inproc.KINDS)
    parser.add_argument("count", type=int)
    parser.add_argument("auth", choices=["master", "virtual"])
    parser.add_argument("--background", choices=["on", "off"], default="on")
    args = parser.parse_args()
    if args.background == "off":
        _quiet_background()
    asyncio.run(inproc._run(args.kind, args.count, False, 1, "worker", args.auth))


if __name__ == "__main__":
    main()
