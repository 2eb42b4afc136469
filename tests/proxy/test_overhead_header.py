"""Every answer carries `x-litellm-overhead-duration-ms`: the gateway's own time, i.e. the request's
time less its waits on the upstream (proxy/http.py, transport/clock.py). An upstream made slow must
not show in it; time the gateway itself spends must."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from harness import running

from llmrelay.config import parse_config
from llmrelay.proxy.http import OVERHEAD_HEADER
from llmrelay.proxy.server import build_app
from llmrelay.testing import SimulatorGroup, simulators_in_thread

KEY = "sk-overhead-test"
# the upstream's added wait: large against the gateway's own time even on a loaded machine
SLOW = 0.4


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorGroup]:
    with simulators_in_thread(["openai"]) as group:
        yield group


@pytest.fixture(autouse=True)
def no_faults(sims: SimulatorGroup) -> Iterator[None]:
    sims.openai.faults.clear()
    yield
    sims.openai.faults.clear()


def config(sims: SimulatorGroup) -> Any:
    return parse_config(
        {
            "model_list": [
                {
                    "model_name": "gpt",
                    "litellm_params": {"model": "openai/gpt-4o-mini", **sims.openai.sdk_kwargs()},
                }
            ],
            "router_settings": {"num_retries": 0},
            "general_settings": {"master_key": KEY},
        },
        source="test",
    )


def post(url: str, body: dict[str, Any] | bytes, key: str = KEY) -> tuple[int, dict[str, str], bytes, float]:
    """(status, headers, body, seconds from sending to the whole body read)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url + "/v1/chat/completions", data=data,
        headers={"content-type": "application/json", "authorization": f"Bearer {key}"},
    )  # fmt: skip
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=20) as resp:
            content = resp.read()
            return resp.status, dict(resp.headers.items()), content, time.perf_counter() - started
    except urllib.error.HTTPError as exc:
        content = exc.read()
        return exc.code, dict(exc.headers.items()), content, time.perf_counter() - started


def overhead_ms(headers: dict[str, str]) -> float:
    value = {k.lower(): v for k, v in headers.items()}[OVERHEAD_HEADER]
    ms = float(value)
    assert ms >= 0.0
    return ms


def chat_body(stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}
    if stream:
        body["stream"] = True
    return body


def test_a_slow_upstream_is_not_the_gateways_overhead(sims: SimulatorGroup) -> None:
    with running(build_app(config(sims))) as url:
        # a first call's one-off work (the price catalog, the upstream pool) is the gateway's own
        # time too, and can be long on a loaded machine: measure a later call
        assert post(url, chat_body())[0] == 200
        sims.openai.faults.set(latency=SLOW)
        status, headers, _, wall = post(url, chat_body())
        assert status == 200
        assert wall >= SLOW
        own = overhead_ms(headers)
        # the upstream's wait is left out: what remains is at most the wall time less that wait
        assert own < (wall - SLOW) * 1000 + 1.0, (own, wall)


def test_a_stream_counts_what_is_known_at_its_first_byte(sims: SimulatorGroup) -> None:
    with running(build_app(config(sims))) as url:
        # slow to start and slow between events: neither wait is the gateway's
        sims.openai.faults.set(latency=SLOW, chunk_delay=0.05)
        status, headers, content, wall = post(url, chat_body(stream=True))
        assert status == 200 and content.rstrip().endswith(b"data: [DONE]")
        assert wall >= SLOW + 0.05
        own = overhead_ms(headers)
        assert own < (wall - SLOW) * 1000 + 1.0, (own, wall)


def test_error_answers_carry_it_too(sims: SimulatorGroup) -> None:
    with running(build_app(config(sims))) as url:
        # an upstream error, slow: passed on with its status, its wait left out
        sims.openai.faults.set(status=429, latency=SLOW, times=1)
        status, headers, _, wall = post(url, chat_body())
        assert status == 429
        assert overhead_ms(headers) < (wall - SLOW) * 1000 + 1.0
        # the gateway's own refusals: no upstream at all
        for body, key, expected in [
            ({"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}, KEY, 404),
            (chat_body(), "sk-wrong", 401),
            (b'{"model": "gpt", "messages": [', KEY, 400),
        ]:
            status, headers, _, wall = post(url, body, key)
            assert status == expected
            assert overhead_ms(headers) <= wall * 1000


class _Slowly:
    """A middleware that takes its time before passing the call on: the gateway's own time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def __call__(self, call: Any, next_: Any) -> Any:
        await asyncio.sleep(self.seconds)
        return await next_(call)


@pytest.mark.parametrize("stream", [False, True])
def test_the_gateways_own_time_is_counted(sims: SimulatorGroup, stream: bool) -> None:
    app = build_app(config(sims))
    app.state.add_middleware(_Slowly(0.25), first=True)
    with running(app) as url:
        sims.openai.faults.set(latency=SLOW)
        status, headers, _, wall = post(url, chat_body(stream))
        assert status == 200
        own = overhead_ms(headers)
        assert 250.0 <= own < (wall - SLOW) * 1000 + 1.0, (own, wall)
