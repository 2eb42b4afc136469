"""Vertex AI behind `llmrelay serve`, configured as LiteLLM users write it (a key file path, the key's
JSON through `os.environ/`, and settings left to GOOGLE_APPLICATION_CREDENTIALS / VERTEXAI_PROJECT),
called with the official `openai` client: Gemini and Claude answers and streams, embeddings, prices,
and credentials that never show in /model/info."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.content import reply_text
from llmrelay.testing.ports import free_port

MASTER_KEY = "sk-vertex-e2e-master"
QUESTION = "What do otters eat?"
MESSAGES: Any = [{"role": "user", "content": QUESTION}]
CONFIG = """
model_list:
  - model_name: gemini-flash
    litellm_params:
      model: vertex_ai/gemini-2.0-flash
      vertex_project: e2e-project
      vertex_location: europe-west4
      vertex_credentials: {key_path}
      api_base: {api_base}
  - model_name: claude-sonnet
    litellm_params:
      model: vertex_ai/claude-3-5-sonnet-v2@20241022
      vertex_location: us-east5
      vertex_credentials: os.environ/VERTEX_SA_JSON
      api_base: {api_base}
  - model_name: embeddings
    litellm_params:
      model: vertex_ai/text-embedding-005
      api_base: {api_base}
  - model_name: llama
    litellm_params:
      model: vertex_ai/meta/llama-3.3-70b-instruct-maas
      api_base: {api_base}
  - model_name: mistral
    litellm_params:
      model: vertex_ai/mistral-small-2503@001
      api_base: {api_base}
router_settings:
  num_retries: 0
general_settings:
  master_key: {master_key}
"""


@pytest.fixture(scope="module")
def gateway(simulators: SimulatorGroup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sim = simulators.vertex
    key = sim.simulator.new_service_account(sim.base_url + "/token")  # type: ignore[attr-defined]
    folder = tmp_path_factory.mktemp("vertex-e2e")
    key_path = folder / "service-account.json"
    key_path.write_text(json.dumps(key))
    config_path = folder / "config.yaml"
    config_path.write_text(CONFIG.format(key_path=key_path, api_base=sim.base_url, master_key=MASTER_KEY))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERTEX", "GOOGLE_"))}
    env.update(
        VERTEX_SA_JSON=json.dumps(key),
        GOOGLE_APPLICATION_CREDENTIALS=str(key_path),
        VERTEXAI_PROJECT="env-project",
    )
    port = free_port()
    code = "import sys; from llmrelay.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--config", str(config_path), "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, url)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def wait_ready(proc: subprocess.Popen[bytes], url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            assert proc.stderr is not None
            raise AssertionError(proc.stderr.read().decode(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url + "/health/readiness", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass  # not listening yet
        assert time.monotonic() < deadline, "the gateway did not become ready"
        time.sleep(0.05)


@pytest.fixture
def oai(gateway: str, vertex_sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway + "/v1", api_key=MASTER_KEY, max_retries=0)


def upstream_calls(sim: RunningSimulator) -> list[Any]:
    return [r for r in sim.requests if r.path != "/token"]


def test_gemini_chat_through_the_gateway(oai: openai.OpenAI, vertex_sim: RunningSimulator) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="gemini-flash", messages=MESSAGES)
    answer = raw.parse()
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert raw.headers["x-llmrelay-provider"] == "vertex_ai"
    [call] = upstream_calls(vertex_sim)
    assert call.path == (
        "/v1/projects/e2e-project/locations/europe-west4/publishers/google/models/"
        "gemini-2.0-flash:generateContent"
    )
    assert call.header("authorization").startswith("Bearer ya29.sim-")
    # Vertex's list price for Gemini 2.0 Flash: $0.15 / $0.60 per million tokens in / out
    usage = answer.usage
    assert usage is not None
    expected = (usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.60) / 1_000_000
    assert float(raw.headers["x-llmrelay-cost"]) == pytest.approx(expected, abs=1e-6)


def test_claude_chat_with_credentials_from_the_environment(
    oai: openai.OpenAI, vertex_sim: RunningSimulator
) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model="claude-sonnet", messages=MESSAGES, max_tokens=300
    )
    answer = raw.parse()
    assert answer.choices[0].message.content == reply_text(QUESTION)
    [call] = upstream_calls(vertex_sim)
    # the project comes from VERTEXAI_PROJECT (the deployment names none)
    assert call.path == (
        "/v1/projects/env-project/locations/us-east5/publishers/anthropic/models/"
        "claude-3-5-sonnet-v2@20241022:rawPredict"
    )
    assert call.body["anthropic_version"] == "vertex-2023-10-16" and "model" not in call.body
    assert float(raw.headers["x-llmrelay-cost"]) > 0


@pytest.mark.parametrize("model", ["gemini-flash", "claude-sonnet"])
def test_streams_through_the_gateway(oai: openai.OpenAI, vertex_sim: RunningSimulator, model: str) -> None:
    chunks = list(
        oai.chat.completions.create(
            model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    content = [c for c in chunks if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in content) == reply_text(QUESTION)
    assert content[-1].choices[0].finish_reason == "stop"
    assert (
        chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    )
    [call] = upstream_calls(vertex_sim)
    assert call.path.endswith(":streamGenerateContent" if model == "gemini-flash" else ":streamRawPredict")


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("llama", "/v1/projects/env-project/locations/us-central1/endpoints/openapi/chat/completions"),
        ("mistral", "/v1/projects/env-project/locations/us-central1/publishers/mistralai/models/"
                    "mistral-small-2503@001:streamRawPredict"),
    ],
)  # fmt: skip
def test_partner_models_through_the_gateway(
    oai: openai.OpenAI, vertex_sim: RunningSimulator, model: str, path: str
) -> None:
    answer = oai.chat.completions.create(model=model, messages=MESSAGES)
    assert answer.choices[0].message.content == reply_text(QUESTION)
    chunks = list(
        oai.chat.completions.create(
            model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply_text(QUESTION)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    _, call = upstream_calls(vertex_sim)
    assert call.path == path and call.header("authorization").startswith("Bearer ya29.sim-")
    assert call.body["model"] == (
        "meta/llama-3.3-70b-instruct-maas" if model == "llama" else "mistral-small-2503"
    )


def test_embeddings_with_settings_from_the_environment(
    oai: openai.OpenAI, vertex_sim: RunningSimulator
) -> None:
    result = oai.embeddings.create(model="embeddings", input=["one", "two"], dimensions=8)
    assert [d.index for d in result.data] == [0, 1] and len(result.data[0].embedding) == 8
    assert result.usage.prompt_tokens > 0
    [call] = upstream_calls(vertex_sim)
    assert call.path == (
        "/v1/projects/env-project/locations/us-central1/publishers/google/models/text-embedding-005:predict"
    )


def test_model_info_shows_no_credentials(gateway: str) -> None:
    request = urllib.request.Request(
        gateway + "/model/info", headers={"authorization": f"Bearer {MASTER_KEY}"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        text = reply.read().decode()
    assert "vertex_project" in text
    assert "vertex_credentials" not in text and "PRIVATE KEY" not in text


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_clients_reach_claude_on_vertex(
    gateway: str, vertex_sim: RunningSimulator, stream: bool
) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=gateway, api_key=MASTER_KEY, max_retries=0)
    if stream:
        with client.messages.stream(model="claude-sonnet", max_tokens=300, messages=MESSAGES) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(model="claude-sonnet", max_tokens=300, messages=MESSAGES)
    assert message.content[0].type == "text" and message.content[0].text == reply_text(QUESTION)
    assert message.usage.output_tokens > 0 and message.stop_reason == "end_turn"
    [call] = upstream_calls(vertex_sim)
    assert call.path.endswith(":streamRawPredict" if stream else ":rawPredict")
