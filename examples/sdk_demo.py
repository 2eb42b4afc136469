"""llmrelay in one script: the OpenAI, Anthropic and Gemini simulators start in-process, and the same
`completion()` call talks to all three: plain answers, streams, a tool call, embeddings and costs.

    python examples/sdk_demo.py
"""

from __future__ import annotations

import json

import llmrelay
from llmrelay.testing import simulators_in_thread

MODELS = ["openai/gpt-4o-mini", "anthropic/claude-haiku-4-5", "gemini/gemini-2.5-flash"]
EMBEDDERS = ["openai/text-embedding-3-small", "gemini/gemini-embedding-001"]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def usd(response: object) -> str:
    return f"${llmrelay.completion_cost(response):.6f}"


def main() -> None:
    with simulators_in_thread() as sims:
        for model in MODELS:
            provider = model.split("/")[0]
            where = sims[provider].sdk_kwargs()  # api_base and api_key of that provider's simulator
            print(f"== {model}")

            answer = llmrelay.completion(model, [{"role": "user", "content": "Hello, who are you?"}], **where)
            tokens = answer.usage.total_tokens
            print(f"answer : {answer.choices[0].message.content!r}  ({tokens} tokens, {usd(answer)})")

            stream = llmrelay.completion(
                model, [{"role": "user", "content": "Count to three"}], stream=True,
                stream_options={"include_usage": True}, **where,
            )  # fmt: skip
            pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
            cost = stream.cost_micros / 1e6
            print(f"stream : {len(pieces)} chunks -> {''.join(pieces)!r}  (cost ${cost:.6f})")

            tool = llmrelay.completion(
                model, [{"role": "user", "content": "Weather in Oslo?"}], tools=[WEATHER_TOOL], **where
            )
            call = tool.choices[0].message.tool_calls[0]
            print(f"tool   : {call.function.name}({json.loads(call.function.arguments)})  ({usd(tool)})")

        for model in EMBEDDERS:
            provider = model.split("/")[0]
            vectors = llmrelay.embedding(model, ["first text", "second text"], **sims[provider].sdk_kwargs())
            dims = len(vectors.data[0].embedding)
            print(f"== {model}\nembed  : {len(vectors.data)} vectors of {dims} dimensions  ({usd(vectors)})")


if __name__ == "__main__":
    try:
        main()
    finally:
        # the module-level functions share one default client: release its connection pool
        from llmrelay.client import default_client

        default_client().close()
