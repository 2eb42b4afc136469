"""`snowflake/<model>` through the llmrelay SDK against the Cortex REST API simulator: OpenAI's chat
wire at /api/v2/cortex/v1/chat/completions, with Snowflake's token-type header."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

import llmrelay
from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.content import reply_text
from llmrelay.types.errors import AuthenticationError, BadRequestError, UnsupportedParamsError

QUESTION = "Why is the sky blue?"
MESSAGES = [{"role": "user", "content": QUESTION}]


@pytest.fixture(autouse=True)
def _no_snowflake_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SNOWFLAKE_JWT", "SNOWFLAKE_API_BASE", "SNOWFLAKE_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def snowflake_sim(simulators: SimulatorGroup) -> Iterator[RunningSimulator]:
    simulators.snowflake.reset()
    yield simulators.snowflake
    simulators.snowflake.reset()


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_chat_with_a_jwt(client: llmrelay.Client, snowflake_sim: RunningSimulator) -> None:
    answer = await client.acompletion(
        "snowflake/llama3.1-70b", MESSAGES, max_tokens=40, **snowflake_sim.sdk_kwargs()
    )
    assert answer.choices[0].message.content == reply_text(QUESTION)
    sent = snowflake_sim.requests.last
    assert sent.path == "/api/v2/cortex/v1/chat/completions"
    assert sent.headers["x-snowflake-authorization-token-type"] == "KEYPAIR_JWT"
    assert sent.headers["authorization"] == f"Bearer {snowflake_sim.api_key}"
    assert sent.body["model"] == "llama3.1-70b" and sent.body["max_completion_tokens"] == 40
    assert "max_tokens" not in sent.body


async def test_a_pat_is_sent_as_a_programmatic_access_token(
    client: llmrelay.Client, snowflake_sim: RunningSimulator
) -> None:
    kwargs = {**snowflake_sim.sdk_kwargs(), "api_key": f"pat/{snowflake_sim.api_key}"}
    stream = await client.acompletion("snowflake/mistral-large2", MESSAGES, stream=True, **kwargs)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == reply_text(QUESTION)
    sent = snowflake_sim.requests.last
    assert sent.headers["x-snowflake-authorization-token-type"] == "PROGRAMMATIC_ACCESS_TOKEN"
    assert sent.headers["authorization"] == f"Bearer {snowflake_sim.api_key}"
    assert "stream_options" not in sent.body


async def test_account_and_refusals(
    client: llmrelay.Client, snowflake_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(BadRequestError, match="SNOWFLAKE_ACCOUNT_ID") as refused:
        await client.acompletion("snowflake/llama3.1-70b", MESSAGES, api_key="jwt")
    assert refused.value.param == "api_base"
    with pytest.raises(UnsupportedParamsError, match="seed"):
        await client.acompletion("snowflake/llama3.1-70b", MESSAGES, seed=1, **snowflake_sim.sdk_kwargs())
    with pytest.raises(BadRequestError, match="does not support"):
        await client.aembedding("snowflake/e5-base-v2", "x", **snowflake_sim.sdk_kwargs())
    snowflake_sim.configure(api_keys=["other"])
    with pytest.raises(AuthenticationError, match="JWT"):
        await client.acompletion(
            "snowflake/llama3.1-70b",
            MESSAGES,
            num_retries=0,
            **{**snowflake_sim.sdk_kwargs(), "api_key": "bad"},
        )


def test_the_account_builds_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmrelay.providers.snowflake import SnowflakeProvider
    from llmrelay.types.deployment import Deployment

    monkeypatch.setenv("SNOWFLAKE_ACCOUNT_ID", "MyOrg-Acct1")
    url = SnowflakeProvider().url(Deployment(provider="snowflake", model="m"), "chat/completions")
    assert url == "https://myorg-acct1.snowflakecomputing.com/api/v2/cortex/v1/chat/completions"
