"""LangChain's `ChatOpenAI` / `OpenAIEmbeddings` against the demo gateway, on every simulated
provider: chat, stream, a tools round trip, structured output (both of LangChain's methods: the
function-calling one sends `parallel_tool_calls: false`, which Gemini once refused) and embeddings."""

from __future__ import annotations

import langchain_core.messages as messages_module
import langchain_openai
import pytest
from clients_common import CHAT_MODELS, EMBEDDING_MODEL, KEY, City, get_weather


def chat_model(gateway_url: str, model: str) -> langchain_openai.ChatOpenAI:
    return langchain_openai.ChatOpenAI(model=model, base_url=gateway_url + "/v1", api_key=KEY, max_retries=0)


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_invoke_and_stream(gateway_url: str, model: str) -> None:
    llm = chat_model(gateway_url, model)
    whole = llm.invoke("What is the capital of France?")
    assert isinstance(whole.content, str) and whole.content
    pieces = [chunk.content for chunk in llm.stream("What is the capital of France?")]
    assert len(pieces) > 1 and "".join(pieces) == whole.content


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_tools_round_trip(gateway_url: str, model: str) -> None:
    llm = chat_model(gateway_url, model).bind_tools([get_weather])
    question = messages_module.HumanMessage("What is the weather in Paris?")
    first = llm.invoke([question])
    assert first.tool_calls and first.tool_calls[0]["name"] == "get_weather"
    call = first.tool_calls[0]
    result = messages_module.ToolMessage(get_weather(**call["args"]), tool_call_id=call["id"])
    second = llm.invoke([question, first, result])
    assert not second.tool_calls and "sunny" in second.content


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
@pytest.mark.parametrize("model", CHAT_MODELS)
def test_structured_output(gateway_url: str, model: str, method: str) -> None:
    llm = chat_model(gateway_url, model).with_structured_output(City, method=method)
    city = llm.invoke("Tell me about Paris")
    assert isinstance(city, City) and isinstance(city.population, int)


def test_embeddings(gateway_url: str) -> None:
    embeddings = langchain_openai.OpenAIEmbeddings(
        model=EMBEDDING_MODEL, base_url=gateway_url + "/v1", api_key=KEY, check_embedding_ctx_length=False
    )
    vectors = embeddings.embed_documents(["one", "two"])
    assert len(vectors) == 2 and len(vectors[0]) > 10 and vectors[0] != vectors[1]
    assert embeddings.embed_query("one") == vectors[0]
