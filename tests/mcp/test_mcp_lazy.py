"""A gateway without `mcp_servers` has no /mcp route and never imports the mcp package (nor its
pydantic, starlette and httpx2): an idle worker holds none of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

PROBE = """
import sys
from llmrelay.config.loader import parse_config
from llmrelay.proxy.server import build_app
app = build_app(parse_config({"model_list": [{"model_name": "m", "litellm_params": {
    "model": "openai/gpt-4o-mini", "api_key": "sk-x"}}]}, source="t", environ={}))
assert not any(r.matches("/mcp") for r in app.state.forward_routes if hasattr(r, "matches")
               and type(r).__name__ == "McpRoute")
assert ("GET", "/v1/mcp/server") not in app.route_table()
loaded = sorted(m for m in sys.modules if m == "mcp" or m.startswith(("mcp.", "mcp_types", "starlette")))
print(",".join(loaded))
"""


def test_no_mcp_servers_no_mcp_import() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env={"PYTHONPATH": SRC}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""
