"""huggingface_local behind the gateway, configured as a LiteLLM config would be and called with the
official `openai` client: chat, streams, completions, embeddings (the client asks for base64), the
event loop answering other requests while a model generates, and a full queue refused with a 503."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml
from hf_local_models import needs_torch

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing.gateway import serving

pytestmark = needs_torch
MASTER_KEY = "sk-hf-local-e2e-master"
MESSAGES: Any = [{"role": "user", "content": "Hello otter"}]
CONFIG = """
model_list:
  - model_name: tiny-chat
    litellm_params:
      model: huggingface_local/tiny-chat
      model_path: {chat}
  - model_name: slow-chat
    litellm_params:
      model: huggingface_local/slow-chat
      model_path: {slow}
      local_concurrency: 1
      local_queue: 0
  - model_name: minilm
    litellm_params:
      model: huggingface_local/{minilm}
router_settings:
  num_retries: 0
general_settings:
  master_key: {master_key}
"""


@pytest.fixture(scope="module")
def gateway(chat_model: Path, slow_model: Path, minilm: Path) -> Iterator[str]:
    text = CONFIG.format(chat=chat_model, slow=slow_model, minilm=minilm, master_key=MASTER_KEY)
    config = parse_config(yaml.safe_load(text), source="hf-local-e2e.yaml")
    with serving(build_app(config)) as url:
        yield url


@pytest.fixture
def oai(gateway: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway + "/v1", api_key=MASTER_KEY, max_retries=0)


def test_chat(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model="tiny-chat", messages=MESSAGES, max_tokens=8, temperature=0
    )
    answer = raw.parse()
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage is not None and answer.usage.completion_tokens == 8
    assert raw.headers["x-llmrelay-provider"] == "huggingface_local"
    assert float(raw.headers["x-llmrelay-cost"]) == 0


@pytest.mark.parametrize("include_usage", [True, False])
def test_stream(oai: openai.OpenAI, include_usage: bool) -> None:
    whole = oai.chat.completions.create(model="tiny-chat", messages=MESSAGES, max_tokens=10, temperature=0)
    options: Any = {"include_usage": True} if include_usage else openai.NOT_GIVEN
    chunks = list(
        oai.chat.completions.create(
            model="tiny-chat", messages=MESSAGES, max_tokens=10, temperature=0, stream=True,
            stream_options=options,
        )
    )  # fmt: skip
    content = [c for c in chunks if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in content) == whole.choices[0].message.content
    assert content[-1].choices[0].finish_reason == "length"
    usage = [c for c in chunks if not c.choices]
    assert len(usage) == (1 if include_usage else 0)
    if include_usage:
        assert usage[0].usage is not None and usage[0].usage.completion_tokens == 10


def test_text_completion(oai: openai.OpenAI) -> None:
    answer = oai.completions.create(model="tiny-chat", prompt="The otter", max_tokens=4, temperature=0)
    assert answer.usage is not None and answer.usage.completion_tokens == 4
    streamed = oai.completions.create(
        model="tiny-chat", prompt="The otter", max_tokens=4, temperature=0, stream=True
    )
    assert "".join(c.choices[0].text for c in streamed if c.choices) == answer.choices[0].text


def test_embeddings_as_the_client_asks_them(oai: openai.OpenAI) -> None:
    # the openai client asks for base64 and decodes it itself
    result = oai.embeddings.create(model="minilm", input=["otters eat fish", "otters eat crabs"])
    assert [len(d.embedding) for d in result.data] == [384, 384]
    assert result.usage.prompt_tokens > 0
    floats = oai.embeddings.create(model="minilm", input="otters eat fish", encoding_format="float")
    assert floats.data[0].embedding == pytest.approx(result.data[0].embedding, abs=1e-6)


def test_refusals_name_the_field(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="logprobs"):
        oai.chat.completions.create(model="tiny-chat", messages=MESSAGES, logprobs=True)
    with pytest.raises(openai.BadRequestError, match="dimensions"):
        oai.embeddings.create(model="minilm", input="hi", dimensions=64)


def test_the_loop_answers_while_a_model_generates(oai: openai.OpenAI, gateway: str) -> None:
    """A long generation runs on the model's worker thread: while it streams, the gateway answers
    /health, each probe in a small part of the generation's time, and a second call to the same
    model (concurrency 1, no queue) is refused at once with a 503."""
    begun = threading.Event()
    times: dict[str, float] = {}

    def generate() -> None:
        stream = oai.chat.completions.create(
            model="slow-chat", messages=MESSAGES, max_tokens=300, temperature=0, stream=True
        )
        for chunk in stream:
            if not begun.is_set():
                times["first"] = time.monotonic()
                begun.set()  # the generation holds the model's one slot from here
            if chunk.choices and chunk.choices[0].finish_reason:
                times["last"] = time.monotonic()

    worker = threading.Thread(target=generate)
    worker.start()
    assert begun.wait(timeout=120), "the stream did not begin"
    probes: list[tuple[float, float]] = []
    with httpx.Client(base_url=gateway, timeout=10) as http:
        busy = http.post(
            "/v1/chat/completions",
            headers={"authorization": f"Bearer {MASTER_KEY}"},
            json={"model": "slow-chat", "messages": MESSAGES, "max_tokens": 2},
        )
        assert busy.status_code == 503, busy.text
        assert "busy" in busy.json()["error"]["message"]
        while worker.is_alive():
            sent = time.monotonic()
            assert http.get("/health/liveliness").status_code == 200
            probes.append((sent, time.monotonic()))
    worker.join()
    took = times["last"] - times["first"]
    during = [(sent, back) for sent, back in probes if back < times["last"]]
    assert len(during) >= 5, (took, len(probes))
    assert max(back - sent for sent, back in during) < took / 3, (took, during)
