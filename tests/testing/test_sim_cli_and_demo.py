"""The command line runner and the SDK demo script, run as a user would run them."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import msgspec

from llmrelay.testing.runner import KINDS

ROOT = Path(__file__).resolve().parents[2]


def test_cli_serves_every_kind_and_prints_their_bases() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmrelay.testing", "--port", "0", "--provider", "all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(1 + len(KINDS))]
        assert lines[0].startswith("llmrelay provider simulators at http://127.0.0.1:")
        bases = dict(line.split()[0:2] for line in lines[1:])
        base_url = lines[0].split()[-1]
        assert bases == {
            "openai": f"api_base={base_url}/v1",
            "anthropic": f"api_base={base_url}",
            "gemini": f"api_base={base_url}/v1beta",
            "bedrock": f"api_base={base_url}",
            "cohere": f"api_base={base_url}",
            "vertex": f"api_base={base_url}",
            "replicate": f"api_base={base_url}/v1",
            "ollama": f"api_base={base_url}",
            "deepgram": f"api_base={base_url}/v1",
            "elevenlabs": f"api_base={base_url}/v1",
            "sagemaker": f"api_base={base_url}",
            "watsonx": f"api_base={base_url}",
            "voyage": f"api_base={base_url}/voyage/v1",
            "jina": f"api_base={base_url}/jina/v1",
            "cloudflare": f"api_base={base_url}/client/v4/accounts/sim-account/ai/run",
            "snowflake": f"api_base={base_url}/api/v2",
            "oci": f"api_base={base_url}",
        }
        models = urllib.request.Request(base_url + "/v1/models", headers={"authorization": "Bearer k"})
        with urllib.request.urlopen(models, timeout=10) as resp:
            assert resp.status == 200 and msgspec.json.decode(resp.read())["object"] == "list"
        with urllib.request.urlopen(base_url + "/_sim/openai/stats", timeout=10) as resp:
            assert msgspec.json.decode(resp.read())["total"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sdk_demo_runs_against_all_three_providers() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error::ResourceWarning"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "sdk_demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for model in ("openai/gpt-4o-mini", "anthropic/claude-haiku-4-5", "gemini/gemini-2.5-flash"):
        assert f"== {model}" in out
    assert out.count("answer : 'Simulated reply to: Hello, who are you?'") == 3
    assert out.count("tool   : get_weather({'city': 'Weather in Oslo?'})") == 3
    assert "embed  : 2 vectors of 1536 dimensions" in out and "embed  : 2 vectors of 3072 dimensions" in out
    assert "Unclosed" not in result.stderr
