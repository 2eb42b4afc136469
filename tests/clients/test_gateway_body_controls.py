"""LiteLLM's per-call controls sent to the gateway in a chat body (the OpenAI SDK's `extra_body`, as
LiteLLM's proxy docs show): fallbacks and mock_testing_fallbacks act, callback metadata is kept, and
none of them reaches the provider; the ones the gateway does not take are refused by name."""

from __future__ import annotations

import openai
import pytest
from clients_common import KEY

from llmrelay.testing import SimulatorGroup

ASK = [{"role": "user", "content": "hello"}]


@pytest.fixture
def oai(gateway_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway_url + "/v1", api_key=KEY, max_retries=0)


def test_mock_testing_fallbacks_goes_to_the_fallback(oai: openai.OpenAI, fresh: SimulatorGroup) -> None:
    answer = oai.chat.completions.create(
        model="gemini-flash", messages=ASK,  # type: ignore[arg-type]
        extra_body={"fallbacks": ["claude-sonnet"], "mock_testing_fallbacks": True, "litellm_call_id": "c-1",
                    "litellm_metadata": {"run": 1}, "additional_drop_params": ["temperature"]},
        temperature=0.2,
    )  # fmt: skip
    assert answer.choices[0].message.content
    assert fresh.gemini.requests.count() == 0 and fresh.anthropic.requests.count() == 1
    sent = fresh.anthropic.requests.last.body
    for name in ("fallbacks", "mock_testing_fallbacks", "litellm_call_id", "litellm_metadata", "temperature"):
        assert name not in sent


def test_fallback_after_a_real_failure(oai: openai.OpenAI, fresh: SimulatorGroup) -> None:
    fresh.gemini.faults.set(status=400, times=1)  # not retried, so straight to the fallback
    answer = oai.chat.completions.create(
        model="gemini-flash",
        messages=ASK,
        extra_body={"fallbacks": [{"model": "claude-sonnet"}]},  # type: ignore[arg-type]
    )
    assert answer.choices[0].message.content and fresh.anthropic.requests.count() == 1


@pytest.mark.parametrize(
    ("extra", "param"),
    [({"caching": True}, "caching"), ({"num_retries": 3}, "num_retries"),
     ({"fallbacks": [{"model": "claude-sonnet", "messages": []}]}, "fallbacks")],
)  # fmt: skip
def test_controls_the_gateway_does_not_take_are_refused(
    oai: openai.OpenAI, fresh: SimulatorGroup, extra: dict[str, object], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="gpt-4o-mini", messages=ASK, extra_body=extra)  # type: ignore[arg-type]
    assert param in str(info.value)
    assert fresh.openai.requests.count() == 0
