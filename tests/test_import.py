"""`import llmrelay` does no I/O (no sockets, no catalog read, no threads) and is fast."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import socket, sys, threading, time, builtins, io

    opened = []
    real_open, real_io_open = builtins.open, io.open
    def watch_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)
    builtins.open = io.open = watch_open

    class NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            raise AssertionError("socket created at import")
    socket.socket = NoSocket

    threads_before = threading.active_count()
    start = time.perf_counter()
    import llmrelay
    elapsed = time.perf_counter() - start
    assert threading.active_count() == threads_before, "import started a thread"
    heavy = [m for m in ("aiohttp", "msgspec", "llmrelay.cost.catalog", "llmrelay.client", "bpe_openai")
             if m in sys.modules]
    data_reads = [f for f in opened if "catalog" in f or f.endswith((".json", ".toml"))]
    assert not data_reads, data_reads
    print(f"{elapsed * 1000:.1f} {','.join(heavy)}")
    """
)


def run_probe() -> tuple[float, list[str]]:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    ms, _, heavy = out.stdout.strip().partition(" ")
    return float(ms), [m for m in heavy.split(",") if m]


def test_import_does_no_io_and_loads_nothing_heavy() -> None:
    elapsed_ms, heavy = run_probe()
    assert heavy == []
    assert elapsed_ms < 150


def test_first_attribute_access_loads_lazily() -> None:
    code = (
        "import sys, llmrelay; llmrelay.completion; "
        "print('aiohttp' in sys.modules, 'llmrelay.cost.catalog' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # the SDK needs its transport once used, but the catalog data is still not read
    assert out.stdout.split() == ["True", "True"]


def test_public_names_resolve() -> None:
    import llmrelay

    for name in llmrelay.__all__:
        assert getattr(llmrelay, name) is not None, name
    assert issubclass(llmrelay.RateLimitError, llmrelay.exceptions.LLMError)
    assert llmrelay.exceptions.APITimeoutError is llmrelay.Timeout
