"""huggingface_local through the SDK: chat (the chat template, or role-prefixed lines), text
completions, embeddings; streamed tokens as they come; usage from the real token ids; sampling
parameters honoured; cost 0; missing models and refused parameters named."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from hf_local_models import needs_torch

import llmrelay
from llmrelay.exceptions import (
    BadRequestError,
    InternalServerError,
    NotFoundError,
    Timeout,
    UnsupportedParamsError,
)

pytestmark = needs_torch
MESSAGES: Any = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello otter"}]


def _tokens(folder: Path, text: str) -> list[int]:
    from transformers import AutoTokenizer

    return list(AutoTokenizer.from_pretrained(folder)(text, add_special_tokens=False)["input_ids"])


def _chat_prompt(folder: Path) -> str:
    lines = "".join(f"<|{m['role']}|>{m['content']}\n" for m in MESSAGES)
    return lines + "<|assistant|>"


async def test_chat_answers_with_usage_from_token_ids(client: llmrelay.Client, chat_model: Path) -> None:
    answer = await client.acompletion(
        model=f"huggingface_local/{chat_model}", messages=MESSAGES, max_tokens=12, temperature=0
    )
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage.completion_tokens == 12
    # the prompt is the tokenizer's chat template, rendered and tokenized
    assert answer.usage.prompt_tokens == len(_tokens(chat_model, _chat_prompt(chat_model)))
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + 12
    assert isinstance(answer.choices[0].message.content, str)
    assert answer.model.endswith(str(chat_model))
    assert llmrelay.completion_cost(answer) == 0


async def test_no_chat_template_means_role_prefixed_lines(client: llmrelay.Client, plain_model: Path) -> None:
    answer = await client.acompletion(
        model=f"huggingface_local/{plain_model}", messages=MESSAGES, max_tokens=3, temperature=0
    )
    prompt = "system: Be brief.\nuser: Hello otter\nassistant:"
    assert answer.usage.prompt_tokens == len(_tokens(plain_model, prompt))


async def test_greedy_and_seeded_answers_repeat(client: llmrelay.Client, chat_model: Path) -> None:
    model = f"huggingface_local/{chat_model}"

    async def text(**params: Any) -> str:
        answer = await client.acompletion(model=model, messages=MESSAGES, max_tokens=16, **params)
        content = answer.choices[0].message.content
        assert isinstance(content, str)
        return content

    assert await text(temperature=0) == await text(temperature=0)
    seeded = await text(temperature=1.5, seed=7)
    assert seeded == await text(temperature=1.5, seed=7)
    others = {await text(temperature=1.5, seed=s) for s in range(8, 12)}
    assert len(others | {seeded}) > 1, "sampling ignored the seed"
    # top_p that keeps only the likeliest token is greedy decoding, whatever the temperature
    assert await text(temperature=1.5, top_p=1e-6, seed=3) == await text(temperature=0)


async def test_stop_sequence_ends_the_answer(client: llmrelay.Client, chat_model: Path) -> None:
    model = f"huggingface_local/{chat_model}"
    full = await client.acompletion(model=model, messages=MESSAGES, max_tokens=24, temperature=0)
    text = full.choices[0].message.content
    assert isinstance(text, str) and len(text) > 6
    stop = text[4:7]
    cut = await client.acompletion(model=model, messages=MESSAGES, max_tokens=24, temperature=0, stop=[stop])
    assert cut.choices[0].message.content == text[: text.find(stop)]
    assert cut.choices[0].finish_reason == "stop"
    streamed = await client.acompletion(
        model=model, messages=MESSAGES, max_tokens=24, temperature=0, stop=stop, stream=True
    )
    pieces = [c.choices[0].delta.content or "" async for c in streamed if c.choices]
    assert "".join(pieces) == text[: text.find(stop)]


async def test_end_of_sequence_stops(client: llmrelay.Client, eos_model: Path) -> None:
    answer = await client.acompletion(
        model=f"huggingface_local/{eos_model}", messages=MESSAGES, max_tokens=20
    )
    assert answer.choices[0].finish_reason == "stop"
    assert answer.choices[0].message.content == ""
    assert answer.usage.completion_tokens == 1  # the end token, which the model did generate


async def test_stream_matches_the_answer(client: llmrelay.Client, chat_model: Path) -> None:
    model = f"huggingface_local/{chat_model}"
    whole = await client.acompletion(model=model, messages=MESSAGES, max_tokens=20, temperature=0)
    stream = await client.acompletion(
        model=model, messages=MESSAGES, max_tokens=20, temperature=0, stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = [c async for c in stream]
    content = [c for c in chunks if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in content) == whole.choices[0].message.content
    assert len([c for c in content if c.choices[0].delta.content]) > 1, "tokens came in one piece"
    assert content[-1].choices[0].finish_reason == "length"
    usage = [c for c in chunks if not c.choices]
    assert len(usage) == 1 and usage[0].usage is not None
    assert usage[0].usage.completion_tokens == 20
    assert usage[0].usage.prompt_tokens == whole.usage.prompt_tokens


def test_sync_text_completion_reads_the_raw_prompt(chat_model: Path) -> None:
    prompt = "The otter swims"
    answer = llmrelay.text_completion(
        model=f"huggingface_local/{chat_model}", prompt=prompt, max_tokens=5, temperature=0
    )
    assert answer.usage is not None and answer.usage.completion_tokens == 5
    assert answer.usage.prompt_tokens == len(_tokens(chat_model, prompt))  # no chat template around it
    streamed = llmrelay.text_completion(
        model=f"huggingface_local/{chat_model}", prompt=prompt, max_tokens=5, temperature=0, stream=True
    )
    assert "".join(c.choices[0].text for c in streamed if c.choices) == answer.choices[0].text


async def test_embeddings_from_sentence_transformers(client: llmrelay.Client, minilm: Path) -> None:
    texts = ["The otter eats fish.", "Otters eat fish and crabs.", "Tax forms are due in April."]
    result = await client.aembedding(model=f"huggingface_local/{minilm}", input=texts)
    vectors = [d.embedding for d in result.data]
    assert all(isinstance(v, list) and len(v) == 384 for v in vectors)

    def cosine(a: Any, b: Any) -> float:
        return float(sum(x * y for x, y in zip(a, b, strict=True)))  # the model's vectors are normalised

    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm)
    assert result.usage.prompt_tokens == sum(len(tokenizer(t)["input_ids"]) for t in texts)
    assert llmrelay.completion_cost(result) == 0


async def test_missing_model_names_its_path(client: llmrelay.Client, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(NotFoundError, match=str(missing)):
        await client.acompletion(model=f"huggingface_local/{missing}", messages=MESSAGES, max_tokens=2)
    # a model id is looked up in the local cache only: never downloaded
    with pytest.raises(NotFoundError, match="never downloads"):
        await client.aembedding(model="huggingface_local/llmrelay-tests/not-cached", input="hi")


async def test_model_path_setting_and_refusals(client: llmrelay.Client, chat_model: Path) -> None:
    answer = await client.acompletion(
        model="huggingface_local/tiny", model_path=str(chat_model), messages=MESSAGES, max_tokens=2
    )
    assert answer.usage.completion_tokens == 2
    with pytest.raises(UnsupportedParamsError, match="presence_penalty"):
        await client.acompletion(
            model=f"huggingface_local/{chat_model}", messages=MESSAGES, presence_penalty=0.5
        )
    with pytest.raises(BadRequestError, match="temperature"):
        await client.acompletion(model=f"huggingface_local/{chat_model}", messages=MESSAGES, temperature=3)
    with pytest.raises(BadRequestError, match="context"):
        await client.acompletion(model=f"huggingface_local/{chat_model}", messages=MESSAGES, max_tokens=5000)


async def test_a_timeout_stops_the_generation_and_frees_its_turn(
    client: llmrelay.Client, slow_model: Path
) -> None:
    """A call that times out stops its generation at the next token: the call queued behind it (the
    model runs one at a time) is served in a fraction of the time the long generation would take."""
    model = f"huggingface_local/{slow_model}"
    settings: Any = {"model_path": str(slow_model), "local_concurrency": 1, "local_queue": 1}
    # loaded, and one token timed: 2,000 of them would take far longer than the whole test allows
    await client.acompletion(model=model, messages=MESSAGES, max_tokens=1, **settings)
    with pytest.raises(Timeout):
        await client.acompletion(
            model=model, messages=MESSAGES, max_tokens=2000, timeout=0.5, num_retries=0, **settings
        )
    started = time.monotonic()
    answer = await client.acompletion(model=model, messages=MESSAGES, max_tokens=2, **settings)
    assert answer.usage.completion_tokens == 2
    assert time.monotonic() - started < 15


async def test_a_folder_that_does_not_load_is_named_then_tried_again(
    client: llmrelay.Client, tmp_path: Path, chat_model: Path
) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    (broken / "tokenizer.json").write_text("{not json either")
    model = f"huggingface_local/{broken}"
    with pytest.raises(InternalServerError, match=r"cannot load the local model at .*broken-model"):
        await client.acompletion(model=model, messages=MESSAGES, max_tokens=1, num_retries=0)
    # a failed load is not remembered: once the folder holds a model, it loads
    shutil.rmtree(broken)
    shutil.copytree(chat_model, broken)
    answer = await client.acompletion(model=model, messages=MESSAGES, max_tokens=1, num_retries=0)
    assert answer.usage.completion_tokens == 1
