"""The SDK's files and batches functions (LiteLLM's names and signatures) against the OpenAI
simulator: upload, retrieve, list, content, delete; a batch created, driven to completion, listed and
its output read; Azure OpenAI's paths with `custom_llm_provider="azure"`; the async twins; an
upstream error as the mapped class with the key scrubbed; an unknown keyword refused."""

from __future__ import annotations

import json

import pytest

import llmrelay
from llmrelay.testing import RunningSimulator

LINE = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}]}}  # fmt: skip
JSONL = (json.dumps(LINE) + "\n").encode()


def test_files_and_a_batch_through_the_sync_functions(openai_sim: RunningSimulator) -> None:
    sim = openai_sim.sdk_kwargs()
    made = llmrelay.create_file(
        file=("in.jsonl", JSONL), purpose="batch", custom_llm_provider="openai", **sim
    )
    assert (made.filename, made.purpose, made.bytes) == ("in.jsonl", "batch", len(JSONL))
    assert llmrelay.file_retrieve(made.id, **sim).id == made.id
    assert [f.id for f in llmrelay.file_list(purpose="batch", **sim).data] == [made.id]
    assert llmrelay.file_content(made.id, **sim).content == JSONL
    batch = llmrelay.create_batch(completion_window="24h", endpoint="/v1/chat/completions",
                                  input_file_id=made.id, metadata={"k": "v"}, **sim)  # fmt: skip
    assert (batch.status, batch.metadata) == ("validating", {"k": "v"})
    openai_sim.simulator.batches.advance(batch.id, "completed")  # type: ignore[attr-defined]
    done = llmrelay.retrieve_batch(batch.id, **sim)
    assert (
        done.status == "completed" and done.request_counts is not None and done.request_counts.completed == 1
    )
    assert done.output_file_id is not None
    out = json.loads(llmrelay.file_content(done.output_file_id, **sim).text)
    assert out["custom_id"] == "a" and out["response"]["body"]["usage"]["total_tokens"] > 0
    assert [b.id for b in llmrelay.list_batches(limit=5, **sim).data] == [batch.id]
    assert llmrelay.file_delete(made.id, **sim).deleted


async def test_async_twins_and_azure(openai_sim: RunningSimulator) -> None:
    azure = {"api_base": openai_sim.base_url, "api_key": openai_sim.api_key, "api_version": "2024-10-21"}
    made = await llmrelay.acreate_file(file=("in.jsonl", JSONL), purpose="batch", custom_llm_provider="azure",
                                       **azure)  # fmt: skip
    assert openai_sim.requests.last.path == "/openai/files"
    assert openai_sim.requests.last.headers["api-key"] == openai_sim.api_key
    batch = await llmrelay.acreate_batch(
        completion_window="24h", endpoint="/chat/completions", input_file_id=made.id,
        custom_llm_provider="azure", **azure,
    )  # fmt: skip
    cancelled = await llmrelay.acancel_batch(batch.id, custom_llm_provider="azure", **azure)
    assert cancelled.status == "cancelling"
    assert openai_sim.requests.last.query["api-version"] == "2024-10-21"
    assert (await llmrelay.aretrieve_batch(batch.id, custom_llm_provider="azure", **azure)).id == batch.id
    assert [b.id for b in (await llmrelay.alist_batches(custom_llm_provider="azure", **azure)).data] == [
        batch.id
    ]
    assert (await llmrelay.afile_content(made.id, custom_llm_provider="azure", **azure)).content == JSONL
    assert (await llmrelay.afile_retrieve(made.id, custom_llm_provider="azure", **azure)).id == made.id
    assert (await llmrelay.afile_list(custom_llm_provider="azure", **azure)).data[0].id == made.id
    assert (await llmrelay.afile_delete(made.id, custom_llm_provider="azure", **azure)).deleted


def test_errors_are_mapped_scrubbed_and_unknown_keywords_refused(openai_sim: RunningSimulator) -> None:
    sim = openai_sim.sdk_kwargs()
    with pytest.raises(llmrelay.NotFoundError) as missing:
        llmrelay.file_retrieve("file-nope", **sim)
    assert missing.value.status_code == 404
    openai_sim.simulator.configure(api_keys=[openai_sim.api_key])
    with pytest.raises(llmrelay.AuthenticationError) as refused:
        llmrelay.file_list(api_key="sk-wrong-key-0123456789abcdef", api_base=openai_sim.api_base)
    assert "sk-wrong-key-0123456789abcdef" not in str(refused.value)
    with pytest.raises(llmrelay.BadRequestError) as unknown:
        llmrelay.file_list(litellm_metadata={}, **sim)
    assert unknown.value.param == "litellm_metadata"
    with pytest.raises(llmrelay.BadRequestError) as provider:
        llmrelay.file_list(custom_llm_provider="anthropic", **sim)
    assert provider.value.param == "custom_llm_provider"
