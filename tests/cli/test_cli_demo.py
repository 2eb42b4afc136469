"""`llmrelay serve --demo` (what `make run` starts): besides answering, a usable dashboard — the demo
key signs in to the admin API behind /ui, keys can be made and spend shows — and /metrics; its store
lives in a temporary directory, gone when the demo stops."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from llmrelay.cli.demo import DEMO_MASTER_KEY
from llmrelay.testing.gateway import free_port

BIN = Path(sys.executable).with_name("llmrelay")


def call(base: str, path: str, key: str | None = None, body: dict | None = None) -> tuple[int, bytes]:
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_demo_serves_a_dashboard_signed_in_with_the_demo_key_and_metrics():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # the suite turns the embedded store off for its gateways: the demo turns it back on for itself
    env = {**os.environ, "LLMRELAY_EMBEDDED_DATABASE": "false"}
    proc = subprocess.Popen([str(BIN), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                if call(base, "/health/liveliness")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.05)
        status, page = call(base, "/ui")
        assert status == 200 and b"<html" in page.lower()
        # what the dashboard's sign-in and views call, with the demo key
        status, body = call(base, "/key/generate", DEMO_MASTER_KEY, {"key_alias": "demo-made"})
        assert status == 200, body
        key = json.loads(body)["key"]
        chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        assert call(base, "/v1/chat/completions", key, chat)[0] == 200
        status, body = call(base, "/key/list", DEMO_MASTER_KEY)
        assert status == 200, body
        deadline = time.monotonic() + 15
        while True:
            status, body = call(base, "/spend/logs", DEMO_MASTER_KEY)
            assert status == 200, body
            if json.loads(body):
                break
            assert time.monotonic() < deadline, "no spend shown"
            time.sleep(0.1)
        status, metrics = call(base, "/metrics")
        assert status == 200
        assert re.search(rb"^llmrelay_\w+.*gpt-4o-mini", metrics, re.MULTILINE), metrics[:2000]
    finally:
        proc.terminate()
        proc.wait(15)
    stderr = proc.stderr.read() if proc.stderr else ""
    assert f"dashboard http://127.0.0.1:{port}/ui  (sign in with {DEMO_MASTER_KEY})" in stderr
    assert f"metrics http://127.0.0.1:{port}/metrics" in stderr
    store = re.search(r"embedded SQLite store in (\S+)", stderr)
    assert store is not None, stderr
    assert not Path(store.group(1)).exists()
