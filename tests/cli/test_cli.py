"""The `llmrelay` command: version, config errors, and a real `serve` subprocess (workers, startup
time, graceful shutdown that lets an in-flight request finish)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import yaml

from llmrelay import __version__
from llmrelay.testing import simulators_in_thread
from llmrelay.testing.ports import free_port

BIN = Path(sys.executable).with_name("llmrelay")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=30)


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_broken_config_names_file_and_path(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      rpm: lots\n"
    )
    result = run_cli("serve", "--config", str(config))
    assert result.returncode == 2
    assert f"{config}: model_list[0].litellm_params.rpm: expected `int | null`, got `str`" in result.stderr


def test_router_settings_are_checked_before_any_worker_starts(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "model_list:\n  - model_name: gpt-4o\n    litellm_params: {model: openai/gpt-4o, api_key: k}\n"
        "router_settings:\n  model_group_alias: {gpt-4: gpt-40}\n"
    )
    result = run_cli("serve", "--config", str(config))
    assert result.returncode == 2
    assert f"llmrelay: config error: {config}: model_group_alias 'gpt-4' points at 'gpt-40'" in result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stderr


def test_missing_env_reference_is_named(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n"
                      "      api_key: os.environ/LLMRELAY_TEST_UNSET_VAR\n")  # fmt: skip
    result = run_cli("--config", str(config))
    assert result.returncode == 2
    assert "model_list[0].litellm_params.api_key" in result.stderr
    assert "LLMRELAY_TEST_UNSET_VAR is not set" in result.stderr


def post_chat(port: int, content: str, results: list[tuple[int, dict]]) -> None:
    body = json.dumps({"model": "gpt", "messages": [{"role": "user", "content": content}]}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions", data=body,
        headers={"content-type": "application/json", "authorization": "Bearer sk-cli-test"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=20) as resp:
        results.append((resp.status, json.loads(resp.read())))


def test_serve_workers_start_fast_and_drain_on_sigterm(tmp_path):
    with simulators_in_thread(["openai"]) as sims:
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({
            "model_list": [{"model_name": "gpt", "litellm_params": {
                "model": "openai/gpt-4o-mini", "api_base": sims.openai.api_base,
                "api_key": "os.environ/LLMRELAY_TEST_SIM_KEY"}}],
            "general_settings": {"master_key": "sk-cli-test", "graceful_shutdown_seconds": 10},
            "unknown_section": {"x": 1},
        }))  # fmt: skip
        port = free_port()
        env = {**os.environ, "LLMRELAY_TEST_SIM_KEY": sims.openai.api_key}
        started = time.monotonic()
        proc = subprocess.Popen(
            [str(BIN), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
             "--workers", "2"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            results: list[tuple[int, dict]] = []
            first_answer = None
            while time.monotonic() - started < 15:
                try:
                    post_chat(port, "hello", results)
                    first_answer = time.monotonic() - started
                    break
                except OSError:
                    time.sleep(0.02)
            assert first_answer is not None, proc.stderr.read() if proc.poll() is not None else "no answer"
            assert results[0][0] == 200
            # a slow in-flight request, then SIGTERM: the request must still be answered
            sims.openai.faults.set(latency=1.0, times=1)
            slow = threading.Thread(target=post_chat, args=(port, "slow one", results))
            slow.start()
            deadline = time.monotonic() + 5
            while sims.openai.requests.count() < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            proc.send_signal(signal.SIGTERM)
            slow.join(15)
            assert len(results) == 2 and results[1][0] == 200
            assert "slow one" in results[1][1]["choices"][0]["message"]["content"]
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        stderr = proc.stderr.read()
        assert "unknown_section: unknown section" in stderr
        print(f"start to first answer: {first_answer:.3f}s")


def test_the_startup_line_names_each_group_once() -> None:
    """A group balanced over several deployments is named once, with its count (it used to print
    "serving a, a")."""
    from llmrelay.cli.run import _served_names

    model_list = [{"model_name": "a"}, {"model_name": "b"}, {"model_name": "a"}]
    assert _served_names(model_list) == "a (2 deployments), b"
    assert _served_names([]) == "none"
