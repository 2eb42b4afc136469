"""Streamed /v1/completions through the gateway, read with the official `openai` client: natively from
an OpenAI-compatible upstream and through a chat-only provider's chat API; errors before the first
chunk keep their status, errors after it arrive as an error event, a client that leaves stops the
upstream, and a gated stream settles with the stream's usage when the relay finishes it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from aiohttp import web
from harness import running
from test_streaming import raw_stream_request

from llmrelay.calls.call import Call, chain
from llmrelay.calls.context import CallContext
from llmrelay.calls.finisher import finish_stream, has_finishers
from llmrelay.calls.operation import TEXT_COMPLETION
from llmrelay.calls.principal import ANONYMOUS, Principal
from llmrelay.calls.served import Served, attach_served
from llmrelay.config import parse_config
from llmrelay.core.text_stream import TextStream
from llmrelay.gate.admission import CallInfo
from llmrelay.gate.middleware import KeyGateMiddleware
from llmrelay.proxy.server import build_app
from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.content import reply_text
from llmrelay.types.completion import TextChoice, TextCompletionRequest, TextCompletionResponse
from llmrelay.types.errors import LLMError
from llmrelay.types.response import Usage

MASTER_KEY = "sk-master-test"
PROMPT = "Describe a lighthouse"


def gateway_config(simulators: SimulatorGroup) -> Any:
    def deployment(name: str, model: str, sim: RunningSimulator) -> dict[str, Any]:
        params = {"model": model, "api_base": sim.api_base, "api_key": sim.api_key}
        return {"model_name": name, "litellm_params": params}

    doc = {
        "model_list": [
            deployment("instruct", "openai/gpt-3.5-turbo-instruct", simulators.openai),
            deployment("claude", "anthropic/claude-haiku-4-5", simulators.anthropic),
        ],
        "router_settings": {"num_retries": 0},
        "general_settings": {"master_key": MASTER_KEY},
    }
    return parse_config(doc, source="test")


@pytest.fixture(scope="module")
def gateway_url(simulators: SimulatorGroup) -> Iterator[str]:
    with running(build_app(gateway_config(simulators))) as url:
        yield url


@pytest.fixture
def oai(gateway_url: str, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway_url + "/v1", api_key=MASTER_KEY, max_retries=0)


@pytest.mark.parametrize("model", ["instruct", "claude"])
def test_openai_client_reads_the_stream_chunk_by_chunk(oai: openai.OpenAI, model: str) -> None:
    raw = oai.completions.with_raw_response.create(model=model, prompt=PROMPT, stream=True, max_tokens=200)
    assert raw.headers["content-type"] == "text/event-stream"
    assert raw.headers["x-llmrelay-model-group"] == model
    chunks = list(raw.parse())
    assert len(chunks) > 2, "the answer came as one event"
    assert all(c.object == "text_completion" and c.choices for c in chunks)
    assert "".join(c.choices[0].text for c in chunks) == reply_text(PROMPT)
    assert [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].choices[0].finish_reason == "stop"


@pytest.mark.parametrize("model", ["instruct", "claude"])
def test_include_usage_adds_one_usage_chunk_at_the_end(oai: openai.OpenAI, model: str) -> None:
    stream = oai.completions.create(
        model=model, prompt=PROMPT, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert [c for c in chunks if not c.choices] == [chunks[-1]]
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens == len(reply_text(PROMPT).split())
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_error_before_the_first_chunk_keeps_its_status(
    simulators: SimulatorGroup, openai_sim: RunningSimulator
) -> None:
    openai_sim.faults.set(status=429, retry_after=3, times=1)
    # a gateway of its own: the 429 cools its deployment down
    with running(build_app(gateway_config(simulators))) as url:
        oai = openai.OpenAI(base_url=url + "/v1", api_key=MASTER_KEY, max_retries=0)
        with pytest.raises(openai.RateLimitError):
            oai.completions.create(model="instruct", prompt=PROMPT, stream=True)


@pytest.mark.parametrize("model", ["instruct", "claude"])
def test_error_after_the_first_chunk_is_an_error_event(
    oai: openai.OpenAI, model: str, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator
) -> None:
    (openai_sim if model == "instruct" else anthropic_sim).faults.set(cut_after=4, chunk_delay=0.02)
    received: list[str] = []
    with pytest.raises(openai.APIError, match="APIConnectionError"):
        for chunk in oai.completions.create(model=model, prompt=PROMPT, stream=True):
            received.extend(c.text for c in chunk.choices)
    assert received and reply_text(PROMPT).startswith("".join(received))


def test_non_streamed_completion_still_answers_whole(oai: openai.OpenAI) -> None:
    answer = oai.completions.create(model="claude", prompt=PROMPT)
    assert answer.choices[0].text == reply_text(PROMPT) and answer.usage is not None


# ---- a client that leaves mid-stream
class SlowCompletions:
    """An OpenAI-style /v1/completions streaming a chunk every 20 ms for 10 s; notes when its peer left."""

    def __init__(self) -> None:
        self.peer_left = threading.Event()
        self.finished = threading.Event()

    async def completions(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        try:
            for i in range(500):
                chunk = {"id": "cmpl-slow", "object": "text_completion", "created": 1, "model": "slow",
                         "choices": [{"text": f"w{i} ", "index": 0, "logprobs": None,
                                      "finish_reason": None}]}  # fmt: skip
                await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                await asyncio.sleep(0.02)
            await response.write(b"data: [DONE]\n\n")
            self.finished.set()
        except ConnectionError:
            self.peer_left.set()
        return response


@pytest.fixture
def slow_upstream() -> Iterator[tuple[SlowCompletions, str]]:
    upstream = SlowCompletions()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v1/completions", upstream.completions)
    runner = web.AppRunner(app, handle_signals=False)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}/v1"

    base = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield upstream, base
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_client_disconnect_closes_the_upstream_stream(slow_upstream: tuple[SlowCompletions, str]) -> None:
    upstream, base = slow_upstream
    # an OpenAI-compatible row that serves /v1/completions (text_completions = true)
    params = {"model": "text-completion-openai/slow", "api_base": base, "api_key": "k"}
    doc = {"model_list": [{"model_name": "slow", "litellm_params": params}],
           "general_settings": {"master_key": MASTER_KEY}}  # fmt: skip
    with running(build_app(parse_config(doc, source="test"))) as url:
        sock = raw_stream_request(url, {"model": "slow", "prompt": "x", "stream": True}, "/v1/completions")
        received = b""
        while b"w2 " not in received:
            part = sock.recv(65536)
            assert part, "the gateway ended the stream early"
            received += part
        assert b'"object":"text_completion"' in received
        sock.close()
        assert upstream.peer_left.wait(5), "the upstream never saw the gateway's connection close"
        assert not upstream.finished.is_set()


# ---- the gate around the router settles a text stream when it ends
class RecordingPass:
    def __init__(self) -> None:
        self.outcomes: list[tuple[str, Usage | None]] = []

    async def succeeded(self, usage: Usage | None, served: Served) -> None:
        self.outcomes.append(("succeeded", usage))

    async def failed(self, error: LLMError, usage: Usage | None, served: Served) -> None:
        self.outcomes.append(("failed", usage))

    def abandoned(self, usage: Usage | None, served: Served) -> None:
        self.outcomes.append(("abandoned", usage))


class OneGate:
    def __init__(self) -> None:
        self.pass_ = RecordingPass()
        self.calls: list[CallInfo] = []

    async def admit(self, principal: Principal, call: CallInfo) -> RecordingPass:
        self.calls.append(call)
        return self.pass_


class StreamingRouter:
    """Answers a text completion as a stream (the part of a ModelRouter the gate calls here)."""

    usage = Usage(prompt_tokens=2, completion_tokens=3, total_tokens=5)

    def alias_target(self, model: str) -> str | None:
        return None

    def default_model(self, mode: str) -> str | None:
        return None

    async def route(self, call: Call[Any]) -> TextStream:
        request = call.request
        whole = TextCompletionResponse(
            id="cmpl-g", created=1, model="m", usage=self.usage,
            choices=[TextChoice(index=0, text="gated", finish_reason="stop")],
        )  # fmt: skip
        attach_served(whole, Served(cost_micros=7))
        return await TextStream.of_response(whole, request)


async def test_gated_text_stream_settles_with_its_usage_at_the_end() -> None:
    gate = OneGate()
    router = StreamingRouter()
    gated = chain([KeyGateMiddleware(gate, router)], router.route)  # type: ignore[arg-type]
    request = TextCompletionRequest(model="m", prompt="p", stream=True)
    stream = await gated(Call(TEXT_COMPLETION, request, CallContext(principal=ANONYMOUS)))
    assert isinstance(stream, TextStream)
    assert gate.calls[0].call_type == "text_completion" and gate.calls[0].stream
    assert gate.pass_.outcomes == []  # nothing settled before the stream is read
    assert [c.choices[0].text async for c in stream] == ["gated"]
    # the relay finishes the chat stream under it (its finisher) before the client's last bytes
    assert has_finishers(stream.chat_stream)
    await finish_stream(stream.chat_stream, None)
    assert gate.pass_.outcomes == [("succeeded", StreamingRouter.usage)]
