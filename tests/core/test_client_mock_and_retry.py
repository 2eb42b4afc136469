"""mock_response (answers, streams, exceptions) and the retry backoff policy."""

from __future__ import annotations

import random

import pytest

import llmrelay
from llmrelay.client import Client
from llmrelay.core.retry import RetryPolicy, should_retry
from llmrelay.types import errors

MESSAGES = [{"role": "user", "content": "hello there"}]


async def test_mock_text_is_priced_and_shaped(client: Client) -> None:
    resp = await client.acompletion("gpt-4o", MESSAGES, mock_response="Hi!")
    assert resp.choices[0].message.content == "Hi!" and resp.choices[0].finish_reason == "stop"
    assert (
        resp.usage is not None
        and resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    )
    assert resp._hidden_params["mock"] is True and resp._hidden_params["cost_micros"] > 0
    assert resp.to_dict()["object"] == "chat.completion"


async def test_mock_stream_with_usage(client: Client) -> None:
    stream = await client.acompletion(
        "gpt-4o", MESSAGES, mock_response="one two three", stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "one two three"
    assert chunks[-1].usage is not None and chunks[-2].choices[0].finish_reason == "stop"
    assert stream.response().choices[0].message.content == "one two three"


async def test_mock_exception_instance_is_raised(client: Client) -> None:
    with pytest.raises(ValueError, match="nope"):
        await client.acompletion("gpt-4o", MESSAGES, mock_response=ValueError("nope"))
    with pytest.raises(errors.ContextWindowExceededError):
        await client.acompletion(
            "gpt-4o", MESSAGES, mock_response=errors.ContextWindowExceededError("too long")
        )


@pytest.mark.parametrize("name", ["litellm.RateLimitError", "llmrelay.ServiceUnavailableError"])
async def test_mock_error_by_name(client: Client, name: str) -> None:
    cls = getattr(errors, name.split(".")[1])
    with pytest.raises(cls):
        await client.acompletion("gpt-4o", MESSAGES, mock_response=name)


async def test_mock_string_that_merely_looks_like_a_name_is_an_answer(client: Client) -> None:
    resp = await client.acompletion("gpt-4o", MESSAGES, mock_response="litellm.NoSuchThing")
    assert resp.choices[0].message.content == "litellm.NoSuchThing"


def test_retry_after_wins_and_is_capped() -> None:
    policy = RetryPolicy(base=1.0, cap=10.0)
    assert policy.delay(1, errors.RateLimitError("x", retry_after=3.5)) == 3.5
    assert policy.delay(1, errors.RateLimitError("x", retry_after=999)) == 10.0


def test_backoff_is_full_jitter_exponential() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # the range is used, not a constant


def test_which_errors_are_retried() -> None:
    retried = [
        errors.RateLimitError,
        errors.Timeout,
        errors.InternalServerError,
        errors.APIConnectionError,
        errors.ServiceUnavailableError,
        errors.BadGatewayError,
    ]
    not_retried = [
        errors.BadRequestError,
        errors.AuthenticationError,
        errors.PermissionDeniedError,
        errors.NotFoundError,
        errors.ContextWindowExceededError,
        errors.UnsupportedParamsError,
    ]
    assert all(should_retry(cls("x")) for cls in retried)
    assert not any(should_retry(cls("x")) for cls in not_retried)
    assert not should_retry(ValueError("x"))


def test_module_level_functions_use_the_default_client() -> None:
    resp = llmrelay.completion(model="gpt-4o-mini", messages=MESSAGES, mock_response="ok")
    assert resp.choices[0].message.content == "ok"
    assert llmrelay.completion_cost(resp) > 0
