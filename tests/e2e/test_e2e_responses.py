"""POST /v1/responses end to end: the official `openai` SDK's `client.responses` against a gateway
(`build_app` from a config, Granian, the real router and adapters) whose models are served by the
OpenAI, Anthropic and Gemini simulators — the Responses dialect over chat-only providers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from llmrelay.config import parse_config
from llmrelay.config.loader import GatewayConfig
from llmrelay.testing import SimulatorGroup
from llmrelay.testing.content import reply_text, tool_result_reply
from llmrelay.testing.gateway import serving

MASTER_KEY = "sk-responses-test"
MODELS = {"gpt": "openai", "claude": "anthropic", "gemini": "gemini"}
UPSTREAM = {"openai": "openai/gpt-4o-mini", "anthropic": "anthropic/claude-haiku-4-5",
            "gemini": "gemini/gemini-2.5-flash"}  # fmt: skip
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": True,
}


def gateway_config(simulators: SimulatorGroup) -> GatewayConfig:
    models = [
        {"model_name": name, "litellm_params": {"model": UPSTREAM[provider],
                                                 "api_base": simulators[provider].api_base,
                                                 "api_key": simulators[provider].api_key}}
        for name, provider in MODELS.items()
    ]  # fmt: skip
    document = {"model_list": models, "general_settings": {"master_key": MASTER_KEY}}
    return parse_config(document, source="<responses-test>")


@pytest.fixture(scope="module")
def gateway_url(simulators: SimulatorGroup) -> Iterator[str]:
    with serving(gateway_config(simulators)) as url:
        yield url


@pytest.fixture
def fresh_oai(simulators: SimulatorGroup) -> Iterator[openai.OpenAI]:
    """A gateway of its own: fault tests put deployments into cooldown."""
    simulators.reset()
    with (
        serving(gateway_config(simulators)) as url,
        openai.OpenAI(base_url=url + "/v1", api_key=MASTER_KEY, max_retries=0) as client,
    ):
        yield client
    simulators.reset()


@pytest.fixture
def oai(gateway_url: str, simulators: SimulatorGroup) -> Iterator[openai.OpenAI]:
    simulators.reset()
    with openai.OpenAI(base_url=gateway_url + "/v1", api_key=MASTER_KEY, max_retries=0) as client:
        yield client
    simulators.reset()


@pytest.mark.parametrize("model", list(MODELS))
def test_create_returns_a_response(oai: openai.OpenAI, simulators: SimulatorGroup, model: str) -> None:
    raw = oai.responses.with_raw_response.create(
        model=model, input="Where do penguins live?", instructions="Answer briefly.", max_output_tokens=200,
        metadata={"team": "birds"}, temperature=0.5,
    )  # fmt: skip
    response = raw.parse()
    assert raw.headers["x-llmrelay-provider"] == MODELS[model]
    assert response.object == "response" and response.id.startswith("resp_")
    assert response.status == "completed" and response.model == model
    assert response.output_text == reply_text("Where do penguins live?")
    (message,) = response.output
    assert message.type == "message" and message.role == "assistant" and message.id.startswith("msg_")
    assert message.content[0].type == "output_text"
    usage = response.usage
    assert usage is not None and usage.output_tokens == len(response.output_text.split())
    assert usage.input_tokens > 0 and usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert response.metadata == {"team": "birds"} and response.temperature == 0.5
    assert response.max_output_tokens == 200 and response.instructions == "Answer briefly."
    # the instructions reached the provider as its system prompt
    assert "Answer briefly." in json.dumps(simulators[MODELS[model]].requests.last.body)


@pytest.mark.parametrize("model", list(MODELS))
def test_stream_events_and_final_response(oai: openai.OpenAI, model: str) -> None:
    events = list(oai.responses.create(model=model, input="Tell me about rivers", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]  # fmt: skip
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done",
                          "response.output_item.done", "response.completed"]  # fmt: skip
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 1
    text = "".join(e.delta for e in deltas)
    assert text == reply_text("Tell me about rivers")
    item_id = events[2].item.id  # type: ignore[union-attr]
    assert all(e.item_id == item_id and e.output_index == 0 for e in deltas)
    final = events[-1].response  # type: ignore[union-attr]
    assert final.id == events[0].response.id and final.output_text == text  # type: ignore[union-attr]
    assert final.usage is not None and final.usage.output_tokens == len(text.split())


@pytest.mark.parametrize("model", list(MODELS))
def test_stream_helper_accepts_the_event_sequence(oai: openai.OpenAI, model: str) -> None:
    """`responses.stream()` checks the lifecycle strictly (ids, indexes, item identity)."""
    with oai.responses.stream(model=model, input="stream about owls", tools=[WEATHER],
                              tool_choice="none") as stream:  # fmt: skip
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == reply_text("stream about owls") == final.output_text


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("stream", [False, True])
def test_function_calling_round_trip(oai: openai.OpenAI, model: str, stream: bool) -> None:
    question = [{"role": "user", "content": "Weather in Lima?"}]
    if stream:
        with oai.responses.stream(model=model, input=question, tools=[WEATHER]) as events:  # type: ignore[arg-type]
            arg_deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
            first = events.get_final_response()
        assert "".join(arg_deltas) == first.output[-1].arguments  # type: ignore[union-attr]
    else:
        first = oai.responses.create(model=model, input=question, tools=[WEATHER])  # type: ignore[arg-type]
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and call.call_id and call.id.startswith("fc_")  # type: ignore[union-attr]
    assert json.loads(call.arguments) == {"city": "Weather in Lima?"}  # type: ignore[union-attr]
    follow = [*question, *(item.model_dump(exclude_none=True) for item in first.output),
              {"type": "function_call_output", "call_id": call.call_id, "output": "18C"}]  # type: ignore[union-attr]  # fmt: skip
    answer = oai.responses.create(model=model, input=follow, tools=[WEATHER])  # type: ignore[arg-type]
    # Gemini's adapter wraps a tool's text output as {"output": ...}
    assert answer.output_text.startswith(tool_result_reply("")[: -len("(empty result)")])
    assert "18C" in answer.output_text


@pytest.mark.parametrize("model", list(MODELS))
def test_structured_output(oai: openai.OpenAI, model: str) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
              "required": ["city", "country"], "additionalProperties": False}  # fmt: skip
    response = oai.responses.create(
        model=model, input="Name a city",
        text={"format": {"type": "json_schema", "name": "city", "schema": schema, "strict": True}},
    )  # fmt: skip
    value = json.loads(response.output_text)
    assert set(value) == {"city", "country"} and isinstance(value["city"], str)
    assert response.text.format.type == "json_schema"  # type: ignore[union-attr]


def test_max_output_tokens_makes_an_incomplete_response(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model="gpt", input="one two three four five six", max_output_tokens=2)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    events = list(oai.responses.create(model="gpt", input="one two three four five six",
                                       max_output_tokens=2, stream=True))  # fmt: skip
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"  # type: ignore[union-attr]


@pytest.mark.parametrize("model", list(MODELS))
def test_upstream_error_is_an_api_status_error(
    fresh_oai: openai.OpenAI, simulators: SimulatorGroup, model: str
) -> None:
    simulators[MODELS[model]].faults.set(status=400, times=10)
    with pytest.raises(openai.BadRequestError) as refused:
        fresh_oai.responses.create(model=model, input="x")
    assert isinstance(refused.value, openai.APIStatusError) and refused.value.status_code == 400
    assert refused.value.body["type"] == "invalid_request_error"  # type: ignore[index]
    # before the first event, a stream's upstream error keeps its status too
    with pytest.raises(openai.BadRequestError):
        list(fresh_oai.responses.create(model=model, input="x", stream=True))
    simulators[MODELS[model]].faults.clear()
    simulators[MODELS[model]].faults.set(status=429, retry_after=3, times=10)
    with pytest.raises(openai.RateLimitError) as limited:
        fresh_oai.responses.create(model=model, input="x")
    assert limited.value.status_code == 429


@pytest.mark.parametrize("model", list(MODELS))
def test_mid_stream_error_ends_with_response_failed(
    oai: openai.OpenAI, simulators: SimulatorGroup, model: str
) -> None:
    simulators[MODELS[model]].faults.set(error_after=5, chunk_delay=0.02, times=1)
    events = list(
        oai.responses.create(
            model=model,
            input="a long answer about glaciers and the ice of the poles and the mountains",
            stream=True,
        )
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-2:] == ["error", "response.failed"]
    failed = events[-1].response  # type: ignore[union-attr]
    assert failed.status == "failed" and failed.error is not None and failed.error.message
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_refusals_are_400s_naming_the_field(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as built_in:
        oai.responses.create(model="gpt", input="x", tools=[{"type": "web_search"}])
    assert "web_search" in built_in.value.message
    with pytest.raises(openai.BadRequestError) as stateful:
        oai.responses.create(model="gpt", input="x", previous_response_id="resp_123")
    assert "previous_response_id" in stateful.value.message
    with pytest.raises(openai.BadRequestError) as bad_role:
        oai.responses.create(model="gpt", input=[{"role": "wizard", "content": "x"}])  # type: ignore[list-item]
    assert "input[0]" in bad_role.value.message
    with pytest.raises(openai.NotFoundError):
        oai.responses.create(model="no-such-model", input="x")


def test_unprefixed_path_and_auth(gateway_url: str) -> None:
    plain = openai.OpenAI(base_url=gateway_url, api_key=MASTER_KEY, max_retries=0)
    assert plain.responses.create(model="gpt", input="hello there").output_text == reply_text("hello there")
    wrong = openai.OpenAI(base_url=gateway_url + "/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.responses.create(model="gpt", input="x")


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_round_trip_gives_claude_its_signed_thinking_back(
    oai: openai.OpenAI, simulators: SimulatorGroup, stream: bool
) -> None:
    """reasoning.effort → Anthropic thinking → a reasoning item; sent back with the function call
    and its output, as OpenAI's clients do, the signed thinking block reaches Anthropic again."""
    question = [{"role": "user", "content": "Weather in Lima?"}]
    kwargs: dict[str, Any] = {"model": "claude", "tools": [WEATHER], "reasoning": {"effort": "low"},
                              "max_output_tokens": 4000}  # fmt: skip
    if stream:
        with oai.responses.stream(input=question, **kwargs) as events:
            kinds = [e.type for e in events]
            first = events.get_final_response()
        assert "response.reasoning_summary_text.delta" in kinds
    else:
        first = oai.responses.create(input=question, **kwargs)  # type: ignore[arg-type]
    reasoning, *_, call = first.output
    assert reasoning.type == "reasoning" and call.type == "function_call"
    assert reasoning.summary[0].text.startswith("Thinking about:")
    assert reasoning.encrypted_content
    sent = simulators.anthropic.requests.last.body
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    follow = [*question, *(item.model_dump(exclude_none=True) for item in first.output),
              {"type": "function_call_output", "call_id": call.call_id, "output": "18C"}]  # fmt: skip
    answer = oai.responses.create(input=follow, **kwargs)  # type: ignore[arg-type]
    assert "18C" in answer.output_text
    replayed = simulators.anthropic.requests.last.body["messages"][1]["content"]
    assert replayed[0]["type"] == "thinking" and replayed[0]["thinking"] == reasoning.summary[0].text
    assert replayed[0]["signature"].startswith("Sig")
    assert replayed[-1]["type"] == "tool_use" and replayed[-1]["id"] == call.call_id
