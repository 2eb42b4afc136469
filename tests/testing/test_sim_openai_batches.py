"""The OpenAI simulator's Files and Batch APIs through the official openai client: upload, list,
content, delete; a batch driven by the test through its lifecycle, its output file answered by the
simulator's own chat completions (real usage per line), a refused line in the error file; and the same
API under Azure OpenAI's paths."""

from __future__ import annotations

import json

import openai
import pytest

from llmrelay.testing import RunningSimulator

LINES = [
    {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
     "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}},
    {"custom_id": "b", "method": "POST", "url": "/v1/chat/completions",
     "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Count to three"}]}},
    {"custom_id": "bad", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini"}},
]  # fmt: skip
JSONL = "".join(json.dumps(line) + "\n" for line in LINES).encode()


@pytest.fixture
def oai(openai_sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=openai_sim.api_base, api_key=openai_sim.api_key, max_retries=0)


def test_files_round_trip(oai: openai.OpenAI) -> None:
    up = oai.files.create(file=("in.jsonl", JSONL), purpose="batch")
    assert up.bytes == len(JSONL) and up.filename == "in.jsonl" and up.purpose == "batch"
    other = oai.files.create(file=("notes.txt", b"hello"), purpose="user_data")
    assert [f.id for f in oai.files.list()] == [other.id, up.id]
    assert [f.id for f in oai.files.list(purpose="batch")] == [up.id]
    assert oai.files.retrieve(up.id).bytes == len(JSONL)
    assert oai.files.content(up.id).content == JSONL
    assert oai.files.delete(other.id).deleted
    with pytest.raises(openai.NotFoundError):
        oai.files.retrieve(other.id)
    with pytest.raises(openai.BadRequestError):
        oai.files.create(file=("x.jsonl", b"{not json}\n"), purpose="batch")


def test_a_batch_is_driven_to_completion_by_the_test(
    oai: openai.OpenAI, openai_sim: RunningSimulator
) -> None:
    up = oai.files.create(file=("in.jsonl", JSONL), purpose="batch")
    batch = oai.batches.create(input_file_id=up.id, endpoint="/v1/chat/completions", completion_window="24h",
                               metadata={"job": "nightly"})  # fmt: skip
    assert batch.status == "validating" and batch.metadata == {"job": "nightly"}
    sim = openai_sim.simulator.batches  # type: ignore[attr-defined]
    sim.advance(batch.id, "in_progress")
    assert oai.batches.retrieve(batch.id).status == "in_progress"
    sim.advance(batch.id, "completed")
    done = oai.batches.retrieve(batch.id)
    assert done.status == "completed" and done.output_file_id and done.error_file_id
    assert done.request_counts is not None and (
        done.request_counts.completed,
        done.request_counts.failed,
    ) == (2, 1)
    out = [json.loads(line) for line in oai.files.content(done.output_file_id).content.splitlines()]
    assert [o["custom_id"] for o in out] == ["a", "b"]
    for line in out:
        usage = line["response"]["body"]["usage"]
        assert (
            line["response"]["status_code"] == 200
            and usage["prompt_tokens"] > 0
            and usage["completion_tokens"] > 0
        )
    errors = [json.loads(line) for line in oai.files.content(done.error_file_id).content.splitlines()]
    assert errors[0]["custom_id"] == "bad" and errors[0]["response"]["status_code"] == 400
    assert [b.id for b in oai.batches.list()] == [batch.id]
    with pytest.raises(openai.ConflictError):
        oai.batches.cancel(batch.id)


def test_cancel_and_azure_paths(openai_sim: RunningSimulator) -> None:
    azure = openai.AzureOpenAI(azure_endpoint=openai_sim.base_url, api_key=openai_sim.api_key,
                               api_version="2024-10-21", max_retries=0)  # fmt: skip
    up = azure.files.create(file=("in.jsonl", JSONL), purpose="batch")
    batch = azure.batches.create(input_file_id=up.id, endpoint="/chat/completions", completion_window="24h")
    assert azure.batches.cancel(batch.id).status == "cancelling"
    assert openai_sim.requests.last.path == f"/openai/batches/{batch.id}/cancel"
    assert openai_sim.requests.last.query["api-version"] == "2024-10-21"
