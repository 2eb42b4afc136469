"""text-completion-codestral/ (Mistral's fill-in-the-middle): what the body carries, what is refused by
name, and that chat is not served under this prefix."""

from __future__ import annotations

import json

import pytest

from llmrelay.providers.codestral_fim import CodestralFimProvider
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, UnsupportedParamsError

DEPLOYMENT = Deployment(provider="text-completion-codestral", model="codestral-latest", api_key="k")


def test_prompt_suffix_and_seed_are_sent_in_fims_spelling() -> None:
    request = TextCompletionRequest(
        model="m", prompt="def add(a, b):", suffix="    return c", seed=7, max_tokens=20, n=1, echo=False
    )
    sent = CodestralFimProvider().prepare_text_completion(request, DEPLOYMENT)
    assert sent.url == "https://codestral.mistral.ai/v1/fim/completions"
    assert json.loads(sent.body or b"") == {
        "model": "codestral-latest", "prompt": "def add(a, b):", "suffix": "    return c",
        "max_tokens": 20, "random_seed": 7,
    }  # fmt: skip


@pytest.mark.parametrize(("field", "value"), [("n", 2), ("logprobs", 1), ("echo", True), ("best_of", 3)])
def test_fields_fim_has_no_place_for_are_refused_by_name(field: str, value: object) -> None:
    request = TextCompletionRequest(model="m", prompt="x", **{field: value})  # type: ignore[arg-type]
    with pytest.raises(UnsupportedParamsError) as refused:
        CodestralFimProvider().prepare_text_completion(request, DEPLOYMENT)
    assert refused.value.param == field


def test_one_prompt_only() -> None:
    with pytest.raises(BadRequestError) as refused:
        CodestralFimProvider().prepare_text_completion(
            TextCompletionRequest(model="m", prompt=["a", "b"]), DEPLOYMENT
        )
    assert refused.value.param == "prompt"


def test_chat_is_not_served_here() -> None:
    adapter = CodestralFimProvider()
    assert "chat" not in adapter.codecs
    with pytest.raises(BadRequestError, match="does not support chat"):
        adapter.chat_stream_decoder(ChatRequest(model="m", messages=[]))
