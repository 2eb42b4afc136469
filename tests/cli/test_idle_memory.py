"""Idle memory of `llmrelay serve` (docs/adr/0012): the whole process tree — the parent that
supervises and its worker — after its first answer, counted as PSS (each page shared between the
two, as everything the parent imported before the worker forked, counted once, split between them;
RSS would count it in both). Bounds: 80 MB with a master key only, 100 MB with the database on
(the embedded SQLite store: virtual keys, spend)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from llmrelay.testing import simulators_in_thread

BIN = Path(sys.executable).with_name("llmrelay")
KEY = "sk-idle-test"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for p in pids:
        try:
            pids.extend(int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split())
        except OSError:
            continue
    return pids


def kib(pid: int, file: str, field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/{file}").read_text(), re.M)
    assert match, (pid, file, field)
    return int(match.group(1))


def idle_memory(general: dict[str, Any], tmp_path: Path) -> tuple[float, list[float]]:
    """(PSS of the tree in MB, RSS of each process in MB) once the gateway has answered once."""
    with simulators_in_thread(["openai"]) as sims:
        params = {"model": "openai/gpt-4o-mini", **sims.openai.sdk_kwargs()}
        document = {
            "model_list": [{"model_name": "gpt", "litellm_params": params}],
            "litellm_settings": {"callbacks": ["prometheus"]},
            "general_settings": {"master_key": KEY, **general},
        }  # fmt: skip
        config = tmp_path / "config.yaml"
        config.write_text(json.dumps(document))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "LLMRELAY_EMBEDDED_DATABASE"}
        proc = subprocess.Popen(
            [str(BIN), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            answer(f"http://127.0.0.1:{port}", proc)
            pids = process_tree(proc.pid)
            assert len(pids) == 2, pids  # the parent and its one worker (no child left behind)
            pss = sum(kib(p, "smaps_rollup", "Pss") for p in pids) / 1024
            return pss, [kib(p, "status", "VmRSS") / 1024 for p in pids]
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def answer(url: str, proc: subprocess.Popen[str]) -> None:
    body = json.dumps({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(
        url + "/v1/chat/completions", data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {KEY}"},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:
                assert resp.status == 200
                resp.read()
                return
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read() if proc.stderr else "exited") from None
            assert time.monotonic() < deadline, "no answer from the gateway"
            time.sleep(0.05)


@pytest.mark.parametrize(
    ("general", "bound_mb"),
    [({"embedded_database": False}, 80.0), ({"embedded_database": True}, 100.0)],
    ids=["master-key", "embedded-database"],
)
def test_idle_memory_of_the_serving_tree(tmp_path: Path, general: dict[str, Any], bound_mb: float) -> None:
    if general["embedded_database"]:
        general = {**general, "data_dir": str(tmp_path / "data")}
    pss, rss = idle_memory(general, tmp_path)
    print(f"PSS of the tree {pss:.1f} MB; RSS parent, worker: {', '.join(f'{r:.1f}' for r in rss)} MB")
    assert pss <= bound_mb, (pss, rss)
