"""Stored Responses through the official openai client, with virtual keys, on SQLite and PostgreSQL:
`store` (OpenAI's default: on), `previous_response_id` continuing a conversation across providers
(an OpenAI and an Anthropic deployment, tool calls included, `instructions` not carried over),
retrieve / delete / input_items, and every stored object visible to its own key only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from keys_helpers import GatewayThread, admin, gateway_document

from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import REPLY_PREFIX, TOOL_RESULT_PREFIX

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def two_provider_document(
    database_url: str,
    openai_sim: RunningSimulator,
    anthropic_sim: RunningSimulator,
    tmp_path: Path,
    **general: Any,
) -> dict[str, Any]:
    document = gateway_document(
        database_url,
        openai_sim.api_base,
        openai_sim.api_key,
        spend_spool_dir=str(tmp_path / "spool"),
        **general,
    )
    document["model_list"].append(
        {
            "model_name": "claude",
            "litellm_params": {"model": "anthropic/claude-sonnet-4-5", **anthropic_sim.sdk_kwargs()},
        }
    )
    return document


@pytest.fixture
def gateway(
    database_url: str,
    storage: Any,
    openai_sim: RunningSimulator,
    anthropic_sim: RunningSimulator,
    tmp_path: Path,
) -> Iterator[GatewayThread]:
    gw = GatewayThread(two_provider_document(database_url, openai_sim, anthropic_sim, tmp_path)).start()
    try:
        yield gw
    finally:
        gw.stop()


def client(gw: GatewayThread, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=key, max_retries=0)


async def new_key(gw: GatewayThread) -> str:
    key: str = (await admin(gw, "/key/generate", {}))["key"]
    return key


def sent(sim: RunningSimulator) -> dict[str, Any]:
    body: dict[str, Any] = sim.requests.last.body
    return body


async def test_a_conversation_continues_across_providers(
    gateway: GatewayThread, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator
) -> None:
    key = await new_key(gateway)
    async with client(gateway, key) as c:
        first = await c.responses.create(
            model="gpt-4o-mini", instructions="Be brief.", input="first question"
        )
        assert first.store is True  # OpenAI's default: stored
        assert first.output_text == REPLY_PREFIX + "first question"
        again = await c.responses.retrieve(first.id)
        assert again.model_dump() == first.model_dump()
        async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key=key, max_retries=0) as plain:
            assert (await plain.responses.retrieve(first.id)).id == first.id  # also without /v1

        second = await c.responses.create(
            model="claude", previous_response_id=first.id, input="second question"
        )
        assert second.previous_response_id == first.id
        assert second.output_text == REPLY_PREFIX + "second question"
        # the Anthropic deployment got the whole conversation, without the first call's instructions
        body = sent(anthropic_sim)
        assert "system" not in body
        roles = [(m["role"], _text(m["content"])) for m in body["messages"]]
        assert roles == [
            ("user", "first question"),
            ("assistant", REPLY_PREFIX + "first question"),
            ("user", "second question"),
        ]

        third = await c.responses.create(
            model="gpt-4o-mini", previous_response_id=second.id, instructions="Now in French.", input="third"
        )
        messages = sent(openai_sim)["messages"]
        assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
        assert messages[0]["content"] == "Now in French."

        items = await c.responses.input_items.list(third.id)  # newest first, as OpenAI lists them
        texts = [_item_text(i.model_dump()) for i in items.data]
        assert texts == [
            "third",
            REPLY_PREFIX + "second question",
            "second question",
            REPLY_PREFIX + "first question",
            "first question",
        ]
        assert all(i.id for i in items.data) and items.has_more is False
        page = await c.responses.input_items.list(third.id, order="asc", limit=2)
        assert [_item_text(i.model_dump()) for i in page.data] == [
            "first question",
            REPLY_PREFIX + "first question",
        ]
        assert page.has_more is True
        rest = await c.responses.input_items.list(third.id, order="asc", after=page.data[-1].id)
        assert [_item_text(i.model_dump()) for i in rest.data] == texts[::-1][2:]


async def test_tool_calls_continue_on_another_provider(
    gateway: GatewayThread, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator
) -> None:
    key = await new_key(gateway)
    async with client(gateway, key) as c:
        asked = await c.responses.create(
            model="claude", input="What is the weather in Paris?", tools=[WEATHER]
        )  # type: ignore[list-item]
        (call,) = [item for item in asked.output if item.type == "function_call"]
        answered = await c.responses.create(
            model="gpt-4o-mini",
            previous_response_id=asked.id,
            tools=[WEATHER],  # type: ignore[list-item]
            input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21 C"}],
        )
    assert answered.output_text == TOOL_RESULT_PREFIX + "sunny, 21 C"
    messages = sent(openai_sim)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["tool_calls"][0]["id"] == call.call_id
    assert messages[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert messages[2] == {"role": "tool", "tool_call_id": call.call_id, "content": "sunny, 21 C"}


async def test_another_key_finds_nothing(gateway: GatewayThread) -> None:
    owner, other = await new_key(gateway), await new_key(gateway)
    async with client(gateway, owner) as mine, client(gateway, other) as theirs:
        made = await mine.responses.create(model="gpt-4o-mini", input="secret plans")
        for attempt in (
            theirs.responses.retrieve(made.id),
            theirs.responses.delete(made.id),
            theirs.responses.input_items.list(made.id),
        ):
            with pytest.raises(openai.NotFoundError):
                await attempt
        with pytest.raises(openai.NotFoundError) as refused:
            await theirs.responses.create(model="gpt-4o-mini", previous_response_id=made.id, input="and?")
        assert refused.value.body["param"] == "previous_response_id"  # type: ignore[index]
        # still there for its owner, until the owner deletes it
        assert (await mine.responses.retrieve(made.id)).output_text == made.output_text
        await mine.responses.delete(made.id)
        with pytest.raises(openai.NotFoundError):
            await mine.responses.retrieve(made.id)
        with pytest.raises(openai.NotFoundError):
            await mine.responses.delete(made.id)


async def test_store_false_keeps_nothing(gateway: GatewayThread) -> None:
    key = await new_key(gateway)
    async with client(gateway, key) as c:
        made = await c.responses.create(model="gpt-4o-mini", input="forget this", store=False)
        assert made.store is False
        with pytest.raises(openai.NotFoundError):
            await c.responses.retrieve(made.id)
        for unknown in ("resp_" + "0" * 32, "resp_" + "x" * 5000):  # the long one is never looked up
            with pytest.raises(openai.NotFoundError) as refused:
                await c.responses.create(model="gpt-4o-mini", previous_response_id=unknown, input="x")
            assert refused.value.body["param"] == "previous_response_id"  # type: ignore[index]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


def _item_text(item: dict[str, Any]) -> str:
    return "".join(part.get("text", "") for part in item.get("content") or ())
