"""The simulators answer as a real model would for what clients check: values that conform to the
JSON schema given (JSON Schema with $defs/anyOf/bounds/formats, Gemini's upper-case types), JSON mode
that follows a schema described in the prompt, `stop` honoured, text after a tool result, the tool
that fits the question — all still deterministic."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import anthropic
import openai
import pytest

from llmrelay.testing import RunningSimulator
from llmrelay.testing import content as c

# what pydantic writes for `class Plan(BaseModel): steps: list[Step]; owner: str | None; due: date`
PYDANTIC_SCHEMA: dict[str, Any] = {
    "$defs": {
        "Step": {
            "properties": {
                "order": {"type": "integer", "minimum": 3},
                "title": {"type": "string", "maxLength": 5},
                "done": {"type": "boolean"},
                "weight": {"type": "number", "exclusiveMaximum": 1},
            },
            "required": ["order", "title", "done", "weight"],
            "type": "object",
        }
    },
    "properties": {
        "steps": {"items": {"$ref": "#/$defs/Step"}, "type": "array", "minItems": 2},
        "owner": {"anyOf": [{"type": "null"}, {"type": "string", "format": "email"}]},
        "due": {"type": "string", "format": "date"},
        "kind": {"const": "plan"},
    },
    "required": ["steps", "owner", "due", "kind"],
    "type": "object",
}
GEMINI_SCHEMA = {
    "type": "OBJECT",
    "properties": {
        "count": {"type": "INTEGER"},
        "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
        "ratio": {"type": "NUMBER", "nullable": True},
        "ok": {"type": "BOOLEAN"},
    },
    "required": ["count", "tags", "ratio", "ok"],
}


def _function(name: str, description: str, argument: str) -> dict[str, Any]:
    parameters = {"type": "object", "properties": {argument: {"type": "string"}}}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


TOOLS = [
    _function("get_weather", "Weather in a city", "city"),
    _function("get_stock_price", "Price of a stock ticker", "ticker"),
]


def test_example_values_conform_to_json_schema() -> None:
    value = c.example_value(PYDANTIC_SCHEMA, "plan", "hint text")
    assert value["kind"] == "plan" and value["due"] == "2024-01-01" and value["owner"] == "user@example.com"
    assert len(value["steps"]) == 2
    step = value["steps"][0]
    assert step["order"] == 3 and isinstance(step["order"], int)
    assert step["title"] == "hint " and step["done"] is True
    assert isinstance(step["weight"], float) and step["weight"] < 1
    assert c.example_value(PYDANTIC_SCHEMA, "plan", "hint text") == value  # deterministic


def test_example_values_take_gemini_upper_case_types() -> None:
    value = c.example_value(GEMINI_SCHEMA, "x", "hint")
    assert value == {"count": 1, "tags": ["hint"], "ratio": 1.5, "ok": True}


def test_recursive_schema_terminates() -> None:
    tree = {"$defs": {"Node": {"type": "object", "properties": {"kids": {"type": "array",
            "items": {"$ref": "#/$defs/Node"}}}}}, "$ref": "#/$defs/Node"}  # fmt: skip
    assert isinstance(c.example_value(tree, "t", "h"), dict)


@pytest.fixture
def oai(openai_sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=openai_sim.api_base, api_key=openai_sim.api_key, max_retries=0)


def test_openai_json_schema_with_defs(oai: openai.OpenAI) -> None:
    answer = oai.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "plan my week"}],
        response_format={"type": "json_schema", "json_schema": {"name": "Plan", "schema": PYDANTIC_SCHEMA}},
    )  # fmt: skip
    plan = json.loads(answer.choices[0].message.content or "")
    assert isinstance(plan["steps"][0]["order"], int) and plan["kind"] == "plan"


def test_openai_json_mode_follows_the_schema_in_the_prompt(oai: openai.OpenAI) -> None:
    # instructor's JSON mode: the schema travels in the system message
    system = "Answer in json that matches the following json_schema:\n\n" + json.dumps(PYDANTIC_SCHEMA)
    answer = oai.chat.completions.create(
        model="gpt-4o-mini", response_format={"type": "json_object"},
        messages=[{"role": "system", "content": system}, {"role": "user", "content": "plan"}],
    )  # fmt: skip
    plan = json.loads(answer.choices[0].message.content or "")
    assert set(plan) == {"steps", "owner", "due", "kind"}
    plain = oai.chat.completions.create(
        model="gpt-4o-mini", response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "hello in json"}],
    )  # fmt: skip
    assert json.loads(plain.choices[0].message.content or "") == {"reply": c.reply_text("hello in json")}


@pytest.mark.parametrize("stream", [False, True])
def test_openai_stop_is_honoured(oai: openai.OpenAI, stream: bool) -> None:
    question = "count one two three four"
    expected = c.reply_text(question).split(" three")[0]
    if not stream:
        answer = oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}], stop=[" four", " three"]
        )
        assert answer.choices[0].message.content == expected
        assert answer.choices[0].finish_reason == "stop"
        return
    chunks = oai.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}], stop=" three", stream=True
    )
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == expected


def test_openai_tool_round_trip_answers_in_text(oai: openai.OpenAI) -> None:
    question = [{"role": "user", "content": "What is the stock price of ACME?"}]
    first = oai.chat.completions.create(model="gpt-4o-mini", messages=question, tools=TOOLS)  # type: ignore[arg-type]
    call = (first.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "get_stock_price"  # the tool that fits, not the first one
    history = [*question, first.choices[0].message.model_dump(exclude_none=True),
               {"role": "tool", "tool_call_id": call.id, "content": "42.0 USD"}]  # fmt: skip
    second = oai.chat.completions.create(model="gpt-4o-mini", messages=history, tools=TOOLS)  # type: ignore[arg-type]
    assert second.choices[0].message.tool_calls is None
    assert second.choices[0].message.content == c.tool_result_reply("42.0 USD")
    # a forced call is still a call
    forced = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=history,
        tools=TOOLS,
        tool_choice="required",  # type: ignore[arg-type]
    )
    assert forced.choices[0].message.tool_calls
    assert forced.choices[0].message.tool_calls[0].id != call.id  # unique across turns


def test_anthropic_tool_result_answers_in_text(anthropic_sim: RunningSimulator) -> None:
    sim = anthropic_sim
    claude = anthropic.Anthropic(base_url=sim.base_url, api_key=sim.api_key, max_retries=0)
    tools: Any = [
        {"name": f["name"], "description": f["description"], "input_schema": f["parameters"]}
        for f in (t["function"] for t in TOOLS)
    ]
    ask: Any = [{"role": "user", "content": "Weather in Paris?"}]
    first = claude.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=ask, tools=tools)
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.name == "get_weather"
    result = {"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}
    history: Any = [
        *ask,
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": [result]},
    ]
    second = claude.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=history, tools=tools)
    assert second.stop_reason == "end_turn"
    assert [b.type for b in second.content] == ["text"]


def test_gemini_response_schema_types(gemini_sim: RunningSimulator) -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "count things"}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseSchema": GEMINI_SCHEMA},
    }
    request = urllib.request.Request(
        f"{gemini_sim.api_base}/models/gemini-2.5-flash:generateContent",
        data=json.dumps(body).encode(),
        headers={"x-goog-api-key": gemini_sim.api_key, "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    value = json.loads(answer["candidates"][0]["content"]["parts"][0]["text"])
    assert isinstance(value["count"], int) and isinstance(value["tags"], list) and value["ok"] is True
