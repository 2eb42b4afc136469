"""`llmrelay serve` over TLS (LiteLLM's --ssl_certfile_path/--ssl_keyfile_path, llmrelay's
--ssl-certfile/--ssl-keyfile): the official `openai` client, trusting a CA made in the test, calls
through it; with --http2 an HTTP/2 client gets HTTP/2 (ALPN) and an HTTP/1.1 client still HTTP/1.1;
without --http2, HTTP/1.1 only; a client that does not trust the CA is refused the handshake."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openai
import pytest

from llmrelay.cli.demo import DEMO_MASTER_KEY
from llmrelay.testing.gateway import free_port
from llmrelay.testing.tls import LocalCA

BIN = Path(sys.executable).with_name("llmrelay")


@contextmanager
def serving(args: list[str]) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST", "NUM_WORKERS", "DEBUG")}
    proc = subprocess.Popen(
        [str(BIN), "--demo", "--host", "127.0.0.1", "--port", str(port), *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"https://127.0.0.1:{port}"
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(15)


def wait_ready(base: str, context: ssl.SSLContext) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with httpx.Client(verify=context) as client:
                if client.get(base + "/health/liveliness", timeout=2).status_code == 200:
                    return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "no HTTPS answer"
            time.sleep(0.1)


def test_the_openai_client_calls_over_tls_and_http2_is_offered(tmp_path: Path) -> None:
    ca = LocalCA.create(tmp_path)
    server = ca.issue("gateway")
    trusted = ssl.create_default_context(cafile=str(ca.cert))
    with serving(["--ssl-certfile", str(server.cert), "--ssl-keyfile", str(server.key), "--http2"]) as base:
        wait_ready(base, trusted)
        with httpx.Client(verify=trusted) as http:
            client = openai.OpenAI(
                base_url=base + "/v1", api_key=DEMO_MASTER_KEY, http_client=http, max_retries=0
            )
            answer = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
            )
            assert answer.choices[0].message.content
        with httpx.Client(verify=trusted, http2=True) as h2:
            assert (
                h2.get(
                    base + "/v1/models", headers={"authorization": f"Bearer {DEMO_MASTER_KEY}"}
                ).http_version
                == "HTTP/2"
            )
        with httpx.Client(verify=trusted) as h1:
            assert h1.get(base + "/health/liveliness").http_version == "HTTP/1.1"
        with httpx.Client() as untrusting, pytest.raises(httpx.ConnectError):
            untrusting.get(base + "/health/liveliness")


def test_without_http2_only_http1_is_served(tmp_path: Path) -> None:
    ca = LocalCA.create(tmp_path)
    server = ca.issue("gateway")
    trusted = ssl.create_default_context(cafile=str(ca.cert))
    with serving(["--ssl_certfile_path", str(server.cert), "--ssl_keyfile_path", str(server.key)]) as base:
        wait_ready(base, trusted)
        with httpx.Client(verify=trusted, http2=True) as h2:
            assert h2.get(base + "/health/liveliness").http_version == "HTTP/1.1"


def test_http2_without_tls_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from llmrelay.cli import main

    assert main(["--demo", "--http2"]) != 0
    assert "--http2 is served over TLS only" in capsys.readouterr().err
