"""The provider-native pass-through routes behind virtual keys (whole gateway, the provider
simulators upstream): the official clients pointed at /anthropic and /openai, Gemini's REST shape at
/gemini; the gateway's credential replaces the client's key, provider headers go on untouched, the
key's models and rpm limit are enforced, and metered answers are billed in the spend log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import openai
import pytest
from keys_helpers import MASTER_KEY, GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter, SpendLogRecord
from llmrelay.testing import RunningSimulator

HELLO = [{"role": "user", "content": "say hello"}]
BETA = "context-1m-2025-08-07"
# anthropic/claude-sonnet-4-5 in the catalog: 3 and 15 USD per million input and output tokens
SONNET_IN, SONNET_OUT = 3, 15


@pytest.fixture
def gateway(
    storage: Storage,
    database_url: str,
    openai_sim: RunningSimulator,
    anthropic_sim: RunningSimulator,
    gemini_sim: RunningSimulator,
    tmp_path: Path,
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool")
    )
    document["model_list"] += [
        {"model_name": "claude-sonnet",
         "litellm_params": {"model": "anthropic/claude-sonnet-4-5", **anthropic_sim.sdk_kwargs()}},
        {"model_name": "gemini-flash",
         "litellm_params": {"model": "gemini/gemini-2.5-flash", **gemini_sim.sdk_kwargs()}},
    ]  # fmt: skip
    document["general_settings"]["pass_through_endpoints"] = [
        {"path": "/recorded", "target": openai_sim.api_base + "/chat/completions", "auth": True,
         "headers": {"Authorization": f"Bearer {openai_sim.api_key}"}, "cost_per_request": 0.25},
        {"path": "/open-models", "target": openai_sim.api_base + "/models",
         "headers": {"Authorization": f"Bearer {openai_sim.api_key}"}},
    ]  # fmt: skip
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


async def spend_logs(gw: GatewayThread, storage: Storage) -> list[SpendLogRecord]:
    runtime = next(s for s in gw.app.state.services if isinstance(s, KeysRuntime))
    gw.run(runtime.writer.flush())  # type: ignore[union-attr]
    return await storage.spend.logs(SpendLogFilter())


def claude(gw: GatewayThread, key: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=gw.base_url + "/anthropic", api_key=key, max_retries=0)


async def test_the_anthropic_client_through_the_gateway_billed(
    gateway: GatewayThread, storage: Storage, anthropic_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["claude-sonnet"]}))["key"]
    async with claude(gateway, key) as client:
        answer = await client.messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=HELLO,  # type: ignore[arg-type]
            extra_headers={"anthropic-beta": BETA},
        )  # fmt: skip
        sent = anthropic_sim.requests.last
        async with client.messages.stream(
            model="claude-sonnet-4-5", max_tokens=64, messages=HELLO,  # type: ignore[arg-type]
            extra_headers={"anthropic-beta": BETA},
        ) as stream:  # fmt: skip
            text = "".join([t async for t in stream.text_stream])
            streamed = await stream.get_final_message()
    assert answer.content[0].text and text  # type: ignore[union-attr]
    for request in (sent, anthropic_sim.requests.last):
        # the gateway's credential, not the client's virtual key; the provider headers as sent
        assert request.header("x-api-key") == anthropic_sim.api_key
        assert request.header("authorization") is None
        assert key not in str(dict(request.headers))
        assert request.header("anthropic-beta") == BETA
        assert request.header("anthropic-version")
    assert sent.body["model"] == "claude-sonnet-4-5" and sent.body["max_tokens"] == 64
    rows = [r for r in await spend_logs(gateway, storage) if r.call_type == "pass_through_endpoint"]
    assert len(rows) == 2
    for row, message in zip(sorted(rows, key=lambda r: r.start_time), (answer, streamed), strict=True):
        assert row.model == "claude-sonnet-4-5" and row.model_group == "claude-sonnet"
        assert row.provider == "anthropic" and row.deployment == "/anthropic/v1/messages"
        assert row.prompt_tokens == message.usage.input_tokens > 0
        assert row.completion_tokens == message.usage.output_tokens > 0
        expected = message.usage.input_tokens * SONNET_IN + message.usage.output_tokens * SONNET_OUT
        assert row.cost_micros == expected
        assert row.status == "success"
    info = await admin(gateway, f"/key/info?key={key}")
    assert info["info"]["spend"] == pytest.approx(sum(r.cost_micros for r in rows) / 1e6)


async def test_a_key_not_allowed_the_model_is_refused(
    gateway: GatewayThread, anthropic_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["gpt-4o-mini"]}))["key"]
    async with claude(gateway, key) as client:
        with pytest.raises(anthropic.AuthenticationError) as refused:
            await client.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=HELLO)  # type: ignore[arg-type]
        # a model no group serves is refused too (the key's list names groups)
        with pytest.raises(anthropic.AuthenticationError):
            await client.messages.create(model="claude-opus-4-5", max_tokens=8, messages=HELLO)  # type: ignore[arg-type]
    assert "claude-sonnet-4-5" in refused.value.message
    assert len(anthropic_sim.requests) == 0


async def test_a_wrong_key_is_refused_and_never_forwarded(
    gateway: GatewayThread, anthropic_sim: RunningSimulator
) -> None:
    async with claude(gateway, "sk-not-a-key") as client:
        with pytest.raises(anthropic.AuthenticationError):
            await client.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=HELLO)  # type: ignore[arg-type]
    assert len(anthropic_sim.requests) == 0


async def test_rpm_limit(gateway: GatewayThread, anthropic_sim: RunningSimulator) -> None:
    key = (await admin(gateway, "/key/generate", {"rpm_limit": 2}))["key"]
    async with claude(gateway, key) as client:
        for _ in range(2):
            await client.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=HELLO)  # type: ignore[arg-type]
        with pytest.raises(anthropic.RateLimitError) as refused:
            await client.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=HELLO)  # type: ignore[arg-type]
    assert "requests per minute limit 2" in refused.value.message
    assert len(anthropic_sim.requests) == 2


async def test_the_openai_client_through_the_gateway(
    gateway: GatewayThread, storage: Storage, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["gpt-4o-mini"]}))["key"]
    base = gateway.base_url + "/openai/v1"
    async with openai.AsyncOpenAI(base_url=base, api_key=key, max_retries=0) as client:
        answer = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
        chunks = [
            c async for c in await client.chat.completions.create(
                model="gpt-4o-mini", messages=HELLO, stream=True,  # type: ignore[arg-type]
                stream_options={"include_usage": True},
            )
        ]  # fmt: skip
        with pytest.raises(openai.AuthenticationError):
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)  # type: ignore[arg-type]
    assert answer.choices[0].message.content and chunks[-1].usage is not None
    assert openai_sim.requests.last.header("authorization") == f"Bearer {openai_sim.api_key}"
    assert openai_sim.requests.count("/v1/chat/completions") == 2
    rows = sorted(
        (r for r in await spend_logs(gateway, storage) if r.call_type == "pass_through_endpoint"),
        key=lambda r: r.start_time,
    )
    # the refused call (gpt-4o) was stopped by the gate: no upstream call, no row
    assert [r.status for r in rows] == ["success", "success"]
    assert answer.usage is not None and rows[0].total_tokens == answer.usage.total_tokens
    assert rows[1].total_tokens == chunks[-1].usage.total_tokens  # type: ignore[union-attr]
    assert rows[0].cost_micros > 0 and rows[1].cost_micros > 0


async def gemini_call(gw: GatewayThread, key: str, *, in_query: bool, stream: bool = False) -> Any:
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    url = f"{gw.base_url}/gemini/v1beta/models/gemini-2.5-flash:{action}"
    headers = {} if in_query else {"x-goog-api-key": key}
    params = {"key": key} if in_query else {}
    body = {"contents": [{"role": "user", "parts": [{"text": "say hello"}]}]}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, headers=headers, params=params) as reply,
    ):
        return reply.status, await reply.read()


async def test_gemini_with_the_key_in_its_header_or_query(
    gateway: GatewayThread, storage: Storage, gemini_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["gemini-flash"]}))["key"]
    status, body = await gemini_call(gateway, key, in_query=True)
    assert status == 200 and b"usageMetadata" in body
    status, body = await gemini_call(gateway, key, in_query=False, stream=True)
    assert status == 200 and body.startswith(b"data: ")
    for request in gemini_sim.requests:
        assert request.header("x-goog-api-key") == gemini_sim.api_key
        assert "key" not in request.query  # the client's key never travels on
    rows = [r for r in await spend_logs(gateway, storage) if r.call_type == "pass_through_endpoint"]
    assert len(rows) == 2 and all(r.model == "gemini-2.5-flash" and r.cost_micros > 0 for r in rows)
    assert all(r.model_group == "gemini-flash" for r in rows)
    status, _ = await gemini_call(gateway, "sk-wrong", in_query=True)
    assert status == 401
    other = (await admin(gateway, "/key/generate", {"models": ["gpt-4o-mini"]}))["key"]
    status, body = await gemini_call(gateway, other, in_query=False)
    assert status == 401 and b"key_model_access_denied" in body
    assert gemini_sim.requests.count() == 2


async def test_a_custom_pass_through_endpoint(
    gateway: GatewayThread, storage: Storage, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["gpt-4o"]}))["key"]
    body = {"model": "gpt-4o-mini", "messages": HELLO}
    async with aiohttp.ClientSession() as http:
        headers = {"authorization": f"Bearer {key}", "x-custom": "not forwarded"}
        async with http.post(gateway.base_url + "/recorded", json=body, headers=headers) as reply:
            assert reply.status == 200, await reply.text()
            assert (await reply.json())["choices"]
        async with http.post(gateway.base_url + "/recorded", json=body) as reply:
            assert reply.status == 401  # auth: true
        async with http.get(gateway.base_url + "/open-models") as reply:
            assert reply.status == 200  # auth: false, LiteLLM's default: open
    last_chat = openai_sim.requests.for_path("/chat/completions")[-1]
    assert last_chat.header("authorization") == f"Bearer {openai_sim.api_key}"
    assert last_chat.header("x-custom") is None  # forward_headers: false
    assert last_chat.body == body
    rows = [r for r in await spend_logs(gateway, storage) if r.call_type == "pass_through_endpoint"]
    assert len(rows) == 1
    assert rows[0].deployment == "/recorded" and rows[0].cost_micros == 250_000
    assert rows[0].model == ""


async def test_master_key_passes_and_client_key_header_is_dropped(
    gateway: GatewayThread, anthropic_sim: RunningSimulator
) -> None:
    async with claude(gateway, MASTER_KEY) as client:
        await client.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=HELLO)  # type: ignore[arg-type]
    assert anthropic_sim.requests.last.header("x-api-key") == anthropic_sim.api_key


async def test_a_model_the_upstream_ignores_does_not_pass_the_check(
    gateway: GatewayThread, gemini_sim: RunningSimulator, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["gemini-flash"]}))["key"]
    # Gemini reads the model from the path: a `model` in the body is no permission
    url = f"{gateway.base_url}/gemini/v1beta/models/gemini-2.5-pro:generateContent"
    body = {"model": "gemini-2.5-flash", "contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body, headers={"x-goog-api-key": key}) as reply:
            assert reply.status == 401 and "gemini-2.5-pro" in await reply.text()
        # a form's model cannot be checked: refused to a key limited to some models
        form = aiohttp.FormData({"model": "whisper-1"})
        form.add_field("file", b"RIFF....", filename="a.wav", content_type="audio/wav")
        headers = {"authorization": f"Bearer {key}"}
        async with http.post(
            f"{gateway.base_url}/openai/v1/audio/transcriptions", data=form, headers=headers
        ) as reply:
            assert reply.status == 401 and "only JSON bodies" in await reply.text()
    assert len(gemini_sim.requests) == 0 and openai_sim.requests.count("/audio") == 0
