"""The huggingface_local adapter alone (no torch needed): what it prepares for the in-process
server, and what it refuses by name before anything runs."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from llmrelay.local.wire import ChatBody, CompletionBody, EmbeddingBody
from llmrelay.providers.huggingface_local import HuggingFaceLocalProvider
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import BadRequestError, UnsupportedParamsError

ADAPTER = HuggingFaceLocalProvider()
DEPLOYMENT = Deployment(provider="huggingface_local", model="/models/tiny")


def _chat(**fields: Any) -> ChatRequest:
    base: dict[str, Any] = {
        "model": "huggingface_local//models/tiny",
        "messages": [{"role": "user", "content": "hi"}],
    }
    return msgspec.convert({**base, **fields}, ChatRequest)


def test_chat_body_carries_what_generation_honours() -> None:
    request = _chat(
        messages=[
            {"role": "developer", "content": "terse"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        ],
        max_completion_tokens=9, temperature=0.5, top_p=0.9, stop="END", seed=4, stream=True, user="u-1",
    )  # fmt: skip
    prepared = ADAPTER.codec("chat", "chat").prepare(ADAPTER.check_params(request, False), DEPLOYMENT)
    assert prepared.url == "in-process://huggingface-local/chat/completions" and prepared.stream
    body = msgspec.json.decode(prepared.body or b"", type=ChatBody)
    assert body.place.path == "/models/tiny" and (body.place.concurrency, body.place.queue) == (1, 8)
    assert [(m.role, m.content) for m in body.messages] == [("system", "terse"), ("user", "hi")]
    assert (body.sampling.max_tokens, body.sampling.temperature, body.sampling.top_p) == (9, 0.5, 0.9)
    assert (body.sampling.stop, body.sampling.seed, body.include_usage) == (["END"], 4, True)
    assert b"u-1" not in (prepared.body or b"")  # the caller's id steers nothing here, and stays here


@pytest.mark.parametrize("field", ["presence_penalty", "logprobs", "tools", "response_format", "top_k"])
def test_other_chat_parameters_are_refused_by_name(field: str) -> None:
    values: dict[str, Any] = {
        "presence_penalty": 0.1, "logprobs": True, "response_format": {"type": "json_object"}, "top_k": 3,
        "tools": [{"type": "function", "function": {"name": "f"}}],
    }  # fmt: skip
    with pytest.raises(UnsupportedParamsError, match=field) as refused:
        ADAPTER.check_params(_chat(**{field: values[field]}), False)
    assert refused.value.param == field


def test_n_above_one_non_text_parts_and_extra_body_are_refused() -> None:
    with pytest.raises(UnsupportedParamsError, match="n"):
        ADAPTER.prepare_chat(ADAPTER.check_params(_chat(n=2), False), DEPLOYMENT)
    image = [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]
    with pytest.raises(BadRequestError, match=r"messages\[0\]"):
        ADAPTER.prepare_chat(_chat(messages=[{"role": "user", "content": image}]), DEPLOYMENT)
    with pytest.raises(BadRequestError, match="extra_body"):
        ADAPTER.prepare_chat(_chat(extra_body={"repetition_penalty": 1.2}), DEPLOYMENT)
    with pytest.raises(BadRequestError, match="'tool'"):
        ADAPTER.prepare_chat(
            _chat(messages=[{"role": "tool", "content": "x", "tool_call_id": "1"}]), DEPLOYMENT
        )


def test_settings_come_from_the_deployment() -> None:
    deployment = Deployment(
        provider="huggingface_local", model="tiny",
        options={"model_path": "/srv/tiny", "local_concurrency": 2, "local_queue": "0"},
    )  # fmt: skip
    body = msgspec.json.decode(ADAPTER.prepare_chat(_chat(), deployment).body or b"", type=ChatBody)
    assert (body.model, body.place.path, body.place.concurrency, body.place.queue) == (
        "tiny",
        "/srv/tiny",
        2,
        0,
    )
    for options, name in (
        ({"local_concurrency": 0}, "local_concurrency"),
        ({"local_queue": "many"}, "local_queue"),
    ):
        with pytest.raises(BadRequestError, match=name):
            ADAPTER.prepare_chat(
                _chat(), Deployment(provider="huggingface_local", model="t", options=options)
            )
    with pytest.raises(BadRequestError, match="model_path"):
        ADAPTER.prepare_chat(
            _chat(), Deployment(provider="huggingface_local", model="t", api_base="http://x")
        )


def test_text_completion_and_embedding_bodies() -> None:
    text = TextCompletionRequest(model="m", prompt=["The otter"], max_tokens=3, stop=["."])
    body = msgspec.json.decode(
        ADAPTER.prepare_text_completion(text, DEPLOYMENT).body or b"", type=CompletionBody
    )
    assert (body.prompt, body.sampling.max_tokens, body.sampling.stop) == ("The otter", 3, ["."])
    for refused in ({"echo": True}, {"best_of": 2}, {"prompt": [[1, 2]]}, {"suffix": "x"}):
        with pytest.raises(BadRequestError):
            ADAPTER.prepare_text_completion(msgspec.structs.replace(text, **refused), DEPLOYMENT)
    embed = EmbeddingRequest(model="m", input=["a", "b"], encoding_format="base64")
    body_e = msgspec.json.decode(ADAPTER.prepare_embedding(embed, DEPLOYMENT).body or b"", type=EmbeddingBody)
    assert (body_e.input, body_e.base64) == (["a", "b"], True)
    for field, value in (("dimensions", 64), ("input", [[1, 2]]), ("encoding_format", "int8")):
        with pytest.raises(BadRequestError, match=field):
            ADAPTER.prepare_embedding(msgspec.structs.replace(embed, **{field: value}), DEPLOYMENT)
