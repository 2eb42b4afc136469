"""`llmrelay serve --workers 2`: limits and metrics stay exact across the workers (proxy/workers.py).

Without Redis a config whose limits would be counted per worker is refused at startup; with Redis two
workers admit exactly the limit between them, and /metrics — whichever worker answers it — sums
every worker's calls."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmrelay.config.errors import ConfigError
from llmrelay.config.loader import parse_config
from llmrelay.proxy.workers import check_workers
from llmrelay.testing import simulators_in_thread
from llmrelay.testing.ports import free_port

BIN = Path(sys.executable).with_name("llmrelay")
REDIS_URL = "redis://127.0.0.1:6379/0"
KEY = "sk-workers-test"


def document(api_base: str, api_key: str, *, rpm: int | None = None, **router: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"model": "openai/gpt-4o-mini", "api_base": api_base, "api_key": api_key}
    if rpm is not None:
        params["rpm"] = rpm
    return {
        "model_list": [{"model_name": "gpt", "litellm_params": params}],
        "router_settings": {"num_retries": 0, **router},
        "litellm_settings": {"callbacks": ["prometheus"]},
        "general_settings": {"master_key": KEY, "embedded_database": False},
    }


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["model_list"][0]["litellm_params"].update(rpm=5), "model_list entries (gpt)"),
        (lambda d: d["model_list"][0]["litellm_params"].update(tpm=500), "model_list entries (gpt)"),
        (lambda d: d["model_list"][0]["litellm_params"].update(max_parallel_requests=2), "(gpt)"),
        (lambda d: d["general_settings"].update(embedded_database=True), "virtual keys"),
    ],
)
def test_per_worker_limits_are_refused_without_redis(tmp_path: Path, change: Any, named: str) -> None:
    doc = document("http://127.0.0.1:9/v1", "k")
    doc["general_settings"]["data_dir"] = str(tmp_path / "data")
    change(doc)
    config = parse_config(doc, source="c.yaml")
    with pytest.raises(ConfigError) as refused:
        check_workers(config, 2, environ={})
    message = str(refused.value)
    assert named in message and "router_settings.redis_url" in message and "2x the limit" in message
    # one worker counts exactly; Redis shares the count: both are accepted
    check_workers(config, 1, environ={})
    doc["router_settings"]["redis_url"] = REDIS_URL
    check_workers(parse_config(doc, source="c.yaml"), 2, environ={})


def test_no_limits_anywhere_is_fine_with_several_workers() -> None:
    check_workers(parse_config(document("http://127.0.0.1:9/v1", "k"), source="c.yaml"), 4, environ={})


def test_the_command_refuses_it_before_serving(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document("http://127.0.0.1:9/v1", "k", rpm=5)))
    result = subprocess.run(
        [str(BIN), "serve", "--config", str(config), "--port", str(free_port()), "--workers", "2"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--workers 2 without Redis" in result.stderr and "serving" not in result.stderr


def post(url: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        url + "/v1/chat/completions", data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {KEY}",
                 "connection": "close"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=20) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def requests_total(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    found: dict[str, float] = {}
    for status, value in re.findall(
        r'^llmrelay_requests_total\{[^}]*status="([^"]+)"[^}]*\} (\S+)$', text, re.M
    ):
        found[status] = found.get(status, 0.0) + float(value)
    return found


def test_two_workers_admit_exactly_the_limit_and_metrics_sum_over_them(tmp_path: Path) -> None:
    limit = 12
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    with simulators_in_thread(["openai"]) as sims:
        doc = document(
            sims.openai.api_base, sims.openai.api_key, rpm=limit,
            redis_url=REDIS_URL, redis_key_prefix=f"test-workers-{uuid.uuid4().hex}:",
        )  # fmt: skip
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump(doc))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        # the operator's own directory is used as it is: the test can see whose files are there
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        proc = subprocess.Popen(
            [str(BIN), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
             "--workers", "2"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_ready(url, proc)
            body = {"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}
            # every request on a connection of its own, many at once: both workers take some
            with ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(lambda _: post(url, body), range(3 * limit)))
            assert statuses.count(200) == limit, statuses
            assert statuses.count(429) == 2 * limit, statuses
            deadline = time.monotonic() + 10
            while (counts := requests_total(url)) != {"ok": limit, "429": 2 * limit}:
                assert time.monotonic() < deadline, counts
                time.sleep(0.05)
            # every scrape, whichever worker answers it, gives the same sums
            for _ in range(10):
                assert requests_total(url) == {"ok": limit, "429": 2 * limit}
            # and both workers counted calls: each keeps its own counter file
            pids = {re.sub(r"\D", "", p.name) for p in metrics_dir.glob("counter_*.db")}
            assert len(pids) == 2, sorted(p.name for p in metrics_dir.iterdir())
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def wait_ready(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/health/readiness", timeout=1):
                return
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read() if proc.stderr else "exited") from None
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.05)


def test_the_metrics_directory_is_private_and_gone_at_exit(tmp_path: Path) -> None:
    from llmrelay.proxy.workers import MULTIPROC_ENV, metrics_directory

    environ: dict[str, str] = {}
    with metrics_directory(1, environ) as none:
        assert none is None and environ == {}
    with metrics_directory(2, environ) as made:
        assert made is not None and environ[MULTIPROC_ENV] == made
        assert os.stat(made).st_mode & 0o077 == 0  # the workers' counts are nobody else's to read
        Path(made, "counter_1.db").write_bytes(b"x")
    assert environ == {} and not os.path.exists(made)
    # the operator's own directory is used as it is, and kept
    own = {MULTIPROC_ENV: str(tmp_path)}
    with metrics_directory(2, own) as given:
        assert given == str(tmp_path)
    assert own == {MULTIPROC_ENV: str(tmp_path)} and tmp_path.exists()
