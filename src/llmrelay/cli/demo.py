"""`llmrelay serve --demo`: the provider simulators on a background thread of the parent process,
and the gateway (its own worker processes) on the built-in demo config pointing at them, with virtual
keys, spend and the dashboard in an embedded store in a temporary directory (removed at exit)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

DEMO_CONFIG = Path(__file__).with_name("demo_config.yaml")
DEMO_MASTER_KEY = "sk-llmrelay-demo"


def curl_example(port: int, host: str = "localhost") -> str:
    body = '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}'
    return (
        f"curl http://{host}:{port}/v1/chat/completions "
        f"-H 'Authorization: Bearer {DEMO_MASTER_KEY}' -H 'Content-Type: application/json' -d '{body}'"
    )


def demo_environment(openai_base: str, anthropic_base: str, gemini_base: str, key: str) -> dict[str, str]:
    return {
        "LLMRELAY_DEMO_OPENAI_BASE": openai_base,
        "LLMRELAY_DEMO_ANTHROPIC_BASE": anthropic_base,
        "LLMRELAY_DEMO_GEMINI_BASE": gemini_base,
        "LLMRELAY_DEMO_SIM_KEY": key,
    }


def demo_document(data_dir: str) -> dict[str, Any]:
    """The demo config, with its store in `data_dir` (on even where the environment turns the
    embedded store off: the demo's dashboard needs it)."""
    import yaml

    document: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    document["general_settings"] = {
        **document.get("general_settings", {}), "data_dir": data_dir, "embedded_database": True
    }  # fmt: skip
    return document


def banner(shown: str, port: int, scheme: str = "http") -> list[str]:
    base = f"{scheme}://{shown}:{port}"
    return [
        "llmrelay demo: models gpt-4o-mini (OpenAI sim), claude-sonnet (Anthropic sim), "
        "gemini-flash (Gemini sim), text-embedding-3-small",
        f"llmrelay demo: gateway on {base}  (master key {DEMO_MASTER_KEY})",
        f"llmrelay demo: dashboard {base}/ui  (sign in with {DEMO_MASTER_KEY})",
        f"llmrelay demo: metrics {base}/metrics",
    ]


def run_demo(
    *, host: str, port: int, workers: int, debug: bool, ssl_cert: str | None = None,
    ssl_key: str | None = None, http2: bool = False,
) -> int:  # fmt: skip
    from llmrelay.proxy.server import ServeOptions, serve
    from llmrelay.testing import SimulatorThread

    simulators = SimulatorThread()
    group = simulators.start()
    store = tempfile.TemporaryDirectory(prefix="llmrelay-demo-")
    try:
        os.environ.update(
            demo_environment(
                group.openai.api_base, group.anthropic.api_base, group.gemini.api_base, group.openai.api_key
            )
        )
        document = demo_document(store.name)
        shown = "localhost" if host in ("0.0.0.0", "::") else host
        print(f"llmrelay demo: provider simulators at {group.base_url}", file=sys.stderr)
        for line in banner(shown, port, "https" if ssl_cert else "http"):
            print(line, file=sys.stderr)
        print(f"try:\n  {curl_example(port, shown)}\n", file=sys.stderr, flush=True)
        serve(
            ServeOptions(
                host=host,
                port=port,
                workers=workers,
                debug=debug,
                document=document,
                source=str(DEMO_CONFIG),
                ssl_cert=ssl_cert,
                ssl_key=ssl_key,
                http2=http2,
            )
        )
    finally:
        simulators.stop()
        store.cleanup()
    return 0
