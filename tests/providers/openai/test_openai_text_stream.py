"""The decoder of OpenAI's streamed legacy completions (`/v1/completions`, `stream: true`): the same
chunks of two interleaved choices (split at random in tests/conformance, recorded there as
text_stream_n2.sse), cut streams and error events reported as errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing.stream_splits import decoding_with
from llmrelay.types import errors
from llmrelay.types.completion import TextCompletionRequest

REQUEST = TextCompletionRequest(model="gpt-3.5-turbo-instruct", prompt="Say", stream=True)
BASE: dict[str, Any] = {"id": "cmpl-7x", "object": "text_completion", "created": 1700000000,
                        "model": "gpt-3.5-turbo-instruct"}  # fmt: skip
LOGPROBS = {"tokens": [" caf"], "token_logprobs": [-0.25], "top_logprobs": [{" caf": -0.25}],
            "text_offset": [3]}  # fmt: skip
# two choices interleaved (n=2), multi-byte text, logprobs on one chunk, then the usage chunk
PIECES = [
    (0, " caf", None, LOGPROBS),
    (1, " Olá", None, None),
    (0, "é ☕", None, None),
    (1, " 🌊 mundo", None, None),
    (0, "", "stop", None),
    (1, "", "length", None),
]
USAGE = {"prompt_tokens": 2, "completion_tokens": 7, "total_tokens": 9}


def event(data: Any) -> bytes:
    return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"


def transcript(newline: bytes = b"\n") -> bytes:
    events = [
        event(
            {
                **BASE,
                "choices": [{"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish}],
            }
        )
        for index, text, finish, logprobs in PIECES
    ]
    events.append(event({**BASE, "choices": [], "usage": USAGE}))
    events.append(b"data: [DONE]\n\n")
    return b"".join(events).replace(b"\n", newline)


decode = decoding_with(lambda: ProviderRegistry().get("openai").text_stream_decoder(REQUEST))


def test_transcript_decodes_to_text_completion_chunks() -> None:
    chunks = decode([transcript()])
    assert len(chunks) == len(PIECES) + 1
    for chunk, (index, text, finish, logprobs) in zip(chunks, PIECES, strict=False):
        assert (chunk.id, chunk.object, chunk.model) == ("cmpl-7x", "text_completion", BASE["model"])
        (choice,) = chunk.choices
        assert (choice.index, choice.text, choice.finish_reason, choice.logprobs) == (
            index,
            text,
            finish,
            logprobs,
        )
    texts = ["".join(c.text for ch in chunks for c in ch.choices if c.index == i) for i in (0, 1)]
    assert texts == [" café ☕", " Olá 🌊 mundo"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.total_tokens == 9
    # encoded back, a chunk is OpenAI's shape again
    assert json.loads(chunks[0].model_dump_json())["choices"][0]["logprobs"] == LOGPROBS


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.97])
def test_cut_stream_is_a_connection_error(keep: float) -> None:
    data = transcript()
    with pytest.raises(errors.APIConnectionError, match="before \\[DONE\\]"):
        decode([data[: int(len(data) * keep)]])


def test_error_event_mid_stream_is_classified() -> None:
    data = transcript().split(b"\n\n")[0] + b"\n\n"
    data += b'data: {"error": {"message": "Rate limit reached", "type": "requests", "code": null}}\n\n'
    with pytest.raises(errors.LLMError, match="Rate limit reached"):
        decode([data])


def test_usage_chunk_with_null_choices_is_accepted() -> None:
    data = event({**BASE, "choices": [{"text": "hi", "index": 0, "finish_reason": "stop"}]})
    data += event({**BASE, "choices": None, "usage": USAGE}) + b"data: [DONE]\n\n"
    chunks = decode([data])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 9
