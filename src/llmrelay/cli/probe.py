"""`--health` and `--test`: ask a gateway that is already running (LiteLLM's one-shot checks)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

PROBE_TIMEOUT = 60.0
TEST_PROMPT = "this is a test request, write a short poem"
# LiteLLM's --test asks for this model when --model is not given
DEFAULT_TEST_MODEL = "gpt-3.5-turbo"


def gateway_url(host: str, port: int) -> str:
    """The address to reach a gateway listening on host:port (an any-address means this machine)."""
    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in reach:
        reach = f"[{reach}]"
    return f"http://{reach}:{port}"


def _headers(key: str | None) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    return headers


def run_health(base: str, key: str | None) -> int:
    def ask() -> None:
        request = urllib.request.Request(base + "/health", headers=_headers(key))
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as reply:
            body = reply.read()
        print(json.dumps(json.loads(body), indent=2))

    return _probe(base, f"{base}/health", ask)


def run_test(base: str, model: str | None, key: str | None) -> int:
    """A chat completion, then the same streamed; prints both. 0 when both answered 200."""
    chosen = model or DEFAULT_TEST_MODEL
    body: dict[str, Any] = {"model": chosen, "messages": [{"role": "user", "content": TEST_PROMPT}]}

    def ask() -> None:
        print(f"llmrelay: test chat completion to {base}, model {chosen}", file=sys.stderr)
        print(_post(base, {**body, "max_tokens": 256}, key).decode(errors="replace"))
        print(f"llmrelay: test streamed chat completion to {base}, model {chosen}", file=sys.stderr)
        print(_post(base, {**body, "stream": True}, key).decode(errors="replace"))

    return _probe(base, "the gateway", ask)


def _probe(base: str, who: str, ask: Callable[[], None]) -> int:
    """Run `ask` against a running gateway: 0 when it was answered, else 1 with one line saying why."""
    try:
        ask()
    except urllib.error.HTTPError as exc:
        print(f"llmrelay: {who} answered {exc.code}: {exc.read()[:500].decode(errors='replace')}",
              file=sys.stderr)  # fmt: skip
        return 1
    except OSError as exc:
        print(f"llmrelay: no gateway answered at {base} ({exc})", file=sys.stderr)
        return 1
    return 0


def _post(base: str, body: dict[str, Any], key: str | None) -> bytes:
    request = urllib.request.Request(
        base + "/v1/chat/completions", data=json.dumps(body).encode(), headers=_headers(key)
    )
    with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as reply:
        data: bytes = reply.read()
    return data
