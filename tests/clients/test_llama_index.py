"""llama-index's OpenAI-compatible LLM (`OpenAILike`) against the demo gateway, on every simulated
provider: chat, stream, a tools round trip (`chat_with_tools`, which sends `parallel_tool_calls`), a
function called and answered (`predict_and_call`) and structured output (`structured_predict`)."""

from __future__ import annotations

import pytest
from clients_common import CHAT_MODELS, KEY, City, get_weather
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.llms.openai_like import OpenAILike


def llm(gateway_url: str, model: str) -> OpenAILike:
    return OpenAILike(
        model=model, api_base=gateway_url + "/v1", api_key=KEY, max_retries=0,
        is_chat_model=True, is_function_calling_model=True, context_window=128_000,
    )  # fmt: skip


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_chat_and_stream(gateway_url: str, model: str) -> None:
    messages = [ChatMessage(role="user", content="What is the capital of France?")]
    whole = llm(gateway_url, model).chat(messages)
    assert whole.message.content
    deltas = [r.delta or "" for r in llm(gateway_url, model).stream_chat(messages)]
    assert "".join(deltas) == whole.message.content


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_tools_round_trip(gateway_url: str, model: str) -> None:
    tool = FunctionTool.from_defaults(fn=get_weather)
    model_llm = llm(gateway_url, model)
    response = model_llm.chat_with_tools([tool], user_msg="What is the weather in Paris?")
    calls = model_llm.get_tool_calls_from_response(response, error_on_no_tool_call=True)
    assert calls[0].tool_name == "get_weather"
    answered = model_llm.predict_and_call([tool], user_msg="What is the weather in Paris?")
    assert "sunny" in str(answered)


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_structured_predict(gateway_url: str, model: str) -> None:
    city = llm(gateway_url, model).structured_predict(
        City, PromptTemplate("Tell me about {name}"), name="Paris"
    )
    assert isinstance(city, City) and isinstance(city.population, int)
