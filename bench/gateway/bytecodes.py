"""Executed bytecodes per request, by function, over the in-process gateway (docs/adr/0009, session 8).

Callgrind counts instructions but names only C functions; this names the Python functions that
execute them. A `sys.settrace` opcode tracer (every thread) runs over the bench's timed loop after the
same warm-up as `bench.gateway.callgrind_driver`; keyed runs take the key cache's poll and the spend
drain out of the window as `--background off` does (the rows still reach the database in one batch
when the app closes, counted). Per request = (run of 50 + N - run of 50) / N, as with callgrind,
so what every run does once cancels out. Deterministic up to time-driven batching (the call log's
5 ms batch delay, the spend group commit), which the tracer's slowdown stretches as valgrind's does.

    PYTHONPATH=src:. .venv/bin/python -m bench.gateway.bytecodes chat virtual 200
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import threading
from collections.abc import Awaitable
from types import FrameType
from typing import Any

from bench.gateway import callgrind_driver, inproc

Tracer = Any  # sys.settrace's callback type, as typeshed spells it, is private


class OpcodeCounts:
    def __init__(self) -> None:
        self.by_function: collections.Counter[str] = collections.Counter()
        self.on = False

    def tracer(self, frame: FrameType, event: str, arg: object) -> Tracer:
        if not self.on:
            return None
        frame.f_trace_opcodes = True
        code = frame.f_code
        name = f"{code.co_filename}:{code.co_name}"
        counts = self.by_function

        def local(frame: FrameType, event: str, arg: object) -> Tracer:
            if event == "opcode":
                counts[name] += 1
            return local

        return local


def _count(kind: str, auth: str, requests: int) -> collections.Counter[str]:
    """Bytecodes by function over one run of `requests` timed requests (and what closing it does)."""
    counts = OpcodeCounts()
    gather = asyncio.gather

    def traced_gather(*aws: Awaitable[Any], **options: Any) -> Any:  # the timed loop's gather
        if not counts.on:
            counts.on = True
            sys.settrace(counts.tracer)
            threading.settrace(counts.tracer)
        return gather(*aws, **options)

    inproc.asyncio.gather = traced_gather  # type: ignore[assignment]
    try:
        asyncio.run(inproc._run(kind, requests, False, 1, "worker", auth))
    finally:
        counts.on = False
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        inproc.asyncio.gather = gather
    return counts.by_function


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("kind", choices=inproc.KINDS)
    parser.add_argument("auth", choices=["master", "virtual"])
    parser.add_argument("count", type=int)
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args(argv)
    if args.auth == "virtual":
        callgrind_driver._quiet_background()
    # as callgrind's figures: (run of BASE + count) - (run of BASE), so what every run does once
    # (the warm-up's spend rows in the final batch, compiling the insert) cancels out
    base = 50
    small = _count(args.kind, args.auth, base)
    large = _count(args.kind, args.auth, base + args.count)
    large.subtract(small)
    total = sum(large.values())
    print(f"executed bytecodes per request: {total / args.count:.0f}")
    for name, count in large.most_common(args.top):
        print(f"{count / args.count:9.1f}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
