"""/v1/files and /v1/batches behind virtual keys, through the official openai client (whole gateway,
OpenAI simulator, SQLite and PostgreSQL): upload, create a batch, drive it to completion, retrieve it
and its results; the batch billed at batch prices exactly once however many retrieves see it end,
visible in /spend/logs; the gateway's ids, never the upstream's; another key gets 404 for every
object; a key that may not use a line's model is refused naming the line; an upload over the cap is
a 413 (declared or streamed) and a bad line a 400 naming it; file calls count against the key's rpm;
the poll bills a batch nobody reads; two instances seeing a batch end bill it once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from keys_helpers import GatewayThread, admin, gateway_document

from llmrelay.gate.runtime import KeysRuntime
from llmrelay.proxy.files.poller import BatchPoller
from llmrelay.storage import Storage
from llmrelay.testing import RunningSimulator

PROMPTS = ["Say hello", "Count to three", "Name a colour"]


def jsonl(model: str, prompts: list[str] = PROMPTS) -> bytes:
    lines = [
        {"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": model, "messages": [{"role": "user", "content": text}]}}
        for i, text in enumerate(prompts)
    ]  # fmt: skip
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@pytest.fixture
def gateway(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> Iterator[GatewayThread]:
    document = gateway_document(
        database_url, openai_sim.api_base, openai_sim.api_key, spend_spool_dir=str(tmp_path / "spool"),
        max_file_size_mb=0.05, proxy_batch_polling_interval=0,
    )  # fmt: skip
    document["model_list"].append(
        {"model_name": "mini", "litellm_params": {"model": "openai/gpt-4o-mini", **openai_sim.sdk_kwargs()}}
    )
    gw = GatewayThread(document).start()
    try:
        yield gw
    finally:
        gw.stop()


def client(gateway: GatewayThread, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=key, max_retries=0)


async def spend_rows(gateway: GatewayThread) -> list[dict[str, Any]]:
    runtime = next(s for s in gateway.app.state.services if isinstance(s, KeysRuntime))
    gateway.run(runtime.writer.flush())  # type: ignore[union-attr]
    rows: list[dict[str, Any]] = await admin(gateway, "/spend/logs")
    return rows


def upstream_batch(openai_sim: RunningSimulator) -> str:
    batches = openai_sim.simulator.batches.batches  # type: ignore[attr-defined]
    return str(list(batches)[-1])


async def test_a_batch_runs_end_to_end_and_is_billed_once_at_batch_prices(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["mini"]}))["key"]
    async with client(gateway, key) as c:
        uploaded = await c.files.create(file=("in.jsonl", jsonl("mini")), purpose="batch")
        assert uploaded.purpose == "batch" and uploaded.filename == "in.jsonl"
        sim_files = openai_sim.simulator.batches.files  # type: ignore[attr-defined]
        assert uploaded.id not in sim_files  # the gateway's id, not the upstream's
        (sent,) = sim_files.values()
        # the model group's name became the deployment's model on the way
        assert [json.loads(line)["body"]["model"] for line in sent.data.splitlines()] == ["gpt-4o-mini"] * 3
        assert (await c.files.retrieve(uploaded.id)).bytes == len(sent.data)
        assert [f.id for f in (await c.files.list()).data] == [uploaded.id]

        batch = await c.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h",
            metadata={"job": "nightly"}, extra_body={"model": "mini"},
        )  # fmt: skip
        assert "model" not in openai_sim.requests.last.body  # LiteLLM's chooser: checked, not sent
        assert batch.status == "validating" and batch.input_file_id == uploaded.id
        assert batch.metadata == {"job": "nightly"}
        upstream_id = upstream_batch(openai_sim)
        assert batch.id != upstream_id
        sim = openai_sim.simulator.batches  # type: ignore[attr-defined]
        sim.advance(upstream_id, "in_progress")
        assert (await c.batches.retrieve(batch.id)).status == "in_progress"
        assert [r for r in await spend_rows(gateway) if r["call_type"] == "batch"] == []
        sim.advance(upstream_id, "completed")
        # many retrieves (and a list) see it finish at once: billed once
        seen = await asyncio.gather(*(c.batches.retrieve(batch.id) for _ in range(6)), c.batches.list())
        done = seen[0]
        assert done.status == "completed" and done.output_file_id  # type: ignore[union-attr]
        assert all(s.output_file_id == done.output_file_id for s in seen[:6])  # type: ignore[union-attr]
        assert done.output_file_id not in sim.files  # type: ignore[union-attr]
        content = await c.files.content(done.output_file_id)  # type: ignore[union-attr]
        results = [json.loads(line) for line in content.content.splitlines()]
        assert sorted(r["custom_id"] for r in results) == ["req-0", "req-1", "req-2"]
        prompt = sum(r["response"]["body"]["usage"]["prompt_tokens"] for r in results)
        completion = sum(r["response"]["body"]["usage"]["completion_tokens"] for r in results)
        assert [b.id for b in (await c.batches.list()).data] == [batch.id]
        azure_only = await c.batches.list(extra_query={"custom_llm_provider": "azure"})
        assert azure_only.data == []
    rows = [r for r in await spend_rows(gateway) if r["call_type"] == "batch"]
    # gpt-4o-mini's batch prices: $0.075 in, $0.30 out per million tokens (half its own)
    assert len(rows) == 1
    assert rows[0]["spend"] == pytest.approx(round(prompt * 0.075 + completion * 0.30) / 1e6)
    assert (rows[0]["model"], rows[0]["prompt_tokens"], rows[0]["completion_tokens"]) == (
        "mini",
        prompt,
        completion,
    )
    calls = sorted({r["call_type"] for r in await spend_rows(gateway)})
    assert {"create_file", "create_batch", "retrieve_batch", "file_content"} <= set(calls)


async def test_another_key_gets_404_for_every_object(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    owner = (await admin(gateway, "/key/generate", {}))["key"]
    other = (await admin(gateway, "/key/generate", {}))["key"]
    async with client(gateway, owner) as c:
        uploaded = await c.files.create(file=("in.jsonl", jsonl("gpt-4o-mini")), purpose="batch")
        batch = await c.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                       completion_window="24h")  # fmt: skip
    async with client(gateway, other) as c:
        for call in (
            c.files.retrieve(uploaded.id), c.files.content(uploaded.id), c.files.delete(uploaded.id),
            c.batches.retrieve(batch.id), c.batches.cancel(batch.id),
            c.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                             completion_window="24h"),
        ):  # fmt: skip
            with pytest.raises(openai.NotFoundError):
                await call
        # ids no stored object can have (too long, a NUL) are not even looked up: the same 404
        for call in (c.files.retrieve("file-" + "x" * 500), c.batches.retrieve("batch_" + "9" * 300),
                     c.batches.create(input_file_id="file-\x00", endpoint="/v1/chat/completions",
                                      completion_window="24h")):  # fmt: skip
            with pytest.raises(openai.NotFoundError):
                await call
        assert [f.id async for f in c.files.list()] == []
        assert [b.id async for b in c.batches.list()] == []
    async with client(gateway, owner) as c:
        assert (await c.batches.cancel(batch.id)).status == "cancelling"
        assert (await c.files.delete(uploaded.id)).deleted
        with pytest.raises(openai.NotFoundError):
            await c.files.retrieve(uploaded.id)


async def test_a_key_that_may_not_use_a_lines_model_is_refused_naming_the_line(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"models": ["mini"]}))["key"]
    mixed = jsonl("mini", ["one", "two"]) + jsonl("gpt-4o", ["three"]).replace(b"req-0", b"req-9")
    async with client(gateway, key) as c:
        uploaded = await c.files.create(file=("in.jsonl", mixed), purpose="batch")
        with pytest.raises(openai.AuthenticationError) as refused:
            await c.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                   completion_window="24h")  # fmt: skip
    assert "line 3" in refused.value.message and "gpt-4o" in refused.value.message
    assert refused.value.body["type"] == "key_model_access_denied"  # type: ignore[index]
    assert openai_sim.simulator.batches.batches == {}  # type: ignore[attr-defined]
    async with client(gateway, key) as c:
        # a file sent to a model group's deployment (LiteLLM's `model` field): the key must may use it
        chosen = await c.files.create(
            file=("n.txt", b"notes"), purpose="user_data", extra_body={"model": "mini"}
        )
        assert chosen.filename == "n.txt"
        with pytest.raises(openai.AuthenticationError) as group:
            await c.files.create(
                file=("n.txt", b"notes"), purpose="user_data", extra_body={"model": "gpt-4o"}
            )
        assert group.value.body["type"] == "key_model_access_denied"  # type: ignore[index]
    assert len(openai_sim.simulator.batches.files) == 2  # type: ignore[attr-defined]
    async with client(gateway, key) as c:
        allowed = await c.files.create(file=("in.jsonl", jsonl("mini")), purpose="batch")
        for model, error in (("gpt-4o", openai.AuthenticationError), ("nonsense", openai.BadRequestError)):
            with pytest.raises(error) as wrong:
                await c.batches.create(input_file_id=allowed.id, endpoint="/v1/chat/completions",
                                       completion_window="24h", extra_body={"model": model})  # fmt: skip
            assert wrong.value.body["param"] == "model"  # type: ignore[index]
    assert openai_sim.simulator.batches.batches == {}  # type: ignore[attr-defined]


async def test_an_oversized_upload_is_413_and_a_bad_line_400(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    async with client(gateway, key) as c:
        with pytest.raises(openai.APIStatusError) as too_big:
            await c.files.create(file=("big.txt", b"x" * 60_000), purpose="user_data")
        assert too_big.value.status_code == 413
        assert "max_file_size_mb" in too_big.value.message
        bad = jsonl("gpt-4o-mini") + b'{"custom_id": "x", "method": "POST"}\n'
        with pytest.raises(openai.BadRequestError) as refused:
            await c.files.create(file=("in.jsonl", bad), purpose="batch")
        assert "line 4" in refused.value.message and refused.value.body["param"] == "file"  # type: ignore[index]
        with pytest.raises(openai.BadRequestError) as purpose:
            await c.files.create(file=("in.jsonl", b"{}"), purpose="nonsense")  # type: ignore[arg-type]
        assert purpose.value.body["param"] == "purpose"  # type: ignore[index]
    assert openai_sim.simulator.batches.files == {}  # type: ignore[attr-defined]


async def test_file_calls_count_against_the_keys_rpm(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {"rpm_limit": 2}))["key"]
    async with client(gateway, key) as c:
        await c.files.create(file=("notes.txt", b"hello"), purpose="user_data")
        await c.files.list()
        with pytest.raises(openai.RateLimitError):
            await c.files.list()


async def test_azure_batches_and_a_budget_spent_by_a_batch(
    storage: Storage, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    document = gateway_document(database_url, openai_sim.api_base, openai_sim.api_key,
                                spend_spool_dir=str(tmp_path / "spool"))  # fmt: skip
    document["model_list"] = [{
        "model_name": "azure-mini",
        "litellm_params": {"model": "azure/my-mini", "api_base": openai_sim.base_url,
                           "api_key": openai_sim.api_key, "api_version": "2024-10-21"},
        "model_info": {"base_model": "azure/gpt-4o-mini"},
    }]  # fmt: skip
    gw = GatewayThread(document).start()
    try:
        key = (await admin(gw, "/key/generate", {"models": ["azure-mini"], "max_budget": 0.000001}))["key"]
        async with client(gw, key) as c:
            uploaded = await c.files.create(
                file=("in.jsonl", jsonl("azure-mini")),
                purpose="batch",
                extra_body={"custom_llm_provider": "azure"},
            )
            assert openai_sim.requests.last.path == "/openai/files"
            assert openai_sim.requests.last.query["api-version"] == "2024-10-21"
            assert "custom_llm_provider" not in openai_sim.requests.last.body  # read, never sent on
            sim = openai_sim.simulator.batches  # type: ignore[attr-defined]
            (sent,) = sim.files.values()
            assert {json.loads(line)["body"]["model"] for line in sent.data.splitlines()} == {"my-mini"}
            batch = await c.batches.create(input_file_id=uploaded.id, endpoint="/chat/completions",
                                           completion_window="24h")  # fmt: skip
            assert openai_sim.requests.last.path == "/openai/batches"
            sim.advance(upstream_batch(openai_sim), "completed")
            assert (await c.batches.retrieve(batch.id)).status == "completed"
            # the batch's spend went over the key's budget: its next call is refused
            with pytest.raises(openai.BadRequestError) as over:
                await c.files.list()
            assert over.value.body["type"] == "budget_exceeded"  # type: ignore[index]
        rows = [r for r in await spend_rows(gw) if r["call_type"] == "batch"]
        assert [(r["model"], r["spend"] > 0) for r in rows] == [("azure-mini", True)]
    finally:
        gw.stop()


async def test_the_poll_bills_a_batch_nobody_read_after_it_ended(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    async with client(gateway, key) as c:
        uploaded = await c.files.create(file=("in.jsonl", jsonl("gpt-4o-mini")), purpose="batch")
        batch = await c.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                       completion_window="24h")  # fmt: skip
    poller = next(s for s in gateway.app.state.services if isinstance(s, BatchPoller))
    assert poller.interval == 0  # off: the test ticks it
    assert gateway.run(poller.tick()) == 1  # still validating: read, nothing billed
    assert [r for r in await spend_rows(gateway) if r["call_type"] == "batch"] == []
    openai_sim.simulator.batches.advance(upstream_batch(openai_sim), "completed")  # type: ignore[attr-defined]
    assert gateway.run(poller.tick()) == 1
    rows = [r for r in await spend_rows(gateway) if r["call_type"] == "batch"]
    assert [(r["model"], r["model_id"]) for r in rows] == [("gpt-4o-mini", batch.id)]
    assert gateway.run(poller.tick()) == 0  # billed: no longer polled
    async with client(gateway, key) as c:
        assert (await c.batches.retrieve(batch.id)).status == "completed"
    assert len([r for r in await spend_rows(gateway) if r["call_type"] == "batch"]) == 1


async def test_a_streamed_upload_over_the_cap_is_cut_with_a_413(
    gateway: GatewayThread, openai_sim: RunningSimulator
) -> None:
    """No Content-Length: the cap is kept as the bytes pass, and the upstream upload is abandoned."""
    import aiohttp

    key = (await admin(gateway, "/key/generate", {}))["key"]
    boundary = "xyzzy"
    disposition = "Content-Disposition: form-data; name="
    head = (
        f'--{boundary}\r\n{disposition}"purpose"\r\n\r\nuser_data\r\n'
        f'--{boundary}\r\n{disposition}"file"; filename="big.bin"\r\n\r\n'
    ).encode()

    async def chunked() -> Any:
        yield head
        for _ in range(20):  # 80 KB in all, over the 0.05 MB cap
            yield b"x" * 4096
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {"authorization": f"Bearer {key}", "content-type": f"multipart/form-data; boundary={boundary}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(gateway.base_url + "/v1/files", data=chunked(), headers=headers) as reply,
    ):
        assert reply.status == 413
        assert (await reply.json())["error"]["param"] == "file"
    assert openai_sim.simulator.batches.files == {}  # type: ignore[attr-defined]


async def test_two_instances_seeing_a_batch_end_bill_it_once(
    gateway: GatewayThread, database_url: str, openai_sim: RunningSimulator, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several instances share PostgreSQL (the embedded SQLite store is one instance's)")
    document = gateway_document(database_url, openai_sim.api_base, openai_sim.api_key,
                                spend_spool_dir=str(tmp_path / "spool-2"))  # fmt: skip
    other = GatewayThread(document).start()
    try:
        key = (await admin(gateway, "/key/generate", {}))["key"]
        async with client(other, key) as c:
            # the other instance learns of the new key from the database's change log (polled)
            for _ in range(500):
                try:
                    await c.files.list()
                    break
                except openai.AuthenticationError:
                    await asyncio.sleep(0.02)
        async with client(gateway, key) as c:
            uploaded = await c.files.create(file=("in.jsonl", jsonl("gpt-4o-mini")), purpose="batch")
            batch = await c.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                           completion_window="24h")  # fmt: skip
        openai_sim.simulator.batches.advance(upstream_batch(openai_sim), "completed")  # type: ignore[attr-defined]
        async with client(gateway, key) as one, client(other, key) as two:
            seen = await asyncio.gather(*(c.batches.retrieve(batch.id) for c in (one, two) for _ in range(4)))
        assert {b.status for b in seen} == {"completed"}
        assert len({b.output_file_id for b in seen}) == 1
        for gw in (gateway, other):
            await spend_rows(gw)  # each instance's spool written to the database
        rows = [r for r in await spend_rows(gateway) if r["call_type"] == "batch"]
        assert len(rows) == 1 and rows[0]["spend"] > 0
    finally:
        other.stop()
