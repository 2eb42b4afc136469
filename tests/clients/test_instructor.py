"""instructor against the demo gateway, on every simulated provider: a pydantic model extracted through
tool calling (instructor's default) and through JSON mode (the schema travels in the prompt)."""

from __future__ import annotations

import instructor
import openai
import pytest
from clients_common import CHAT_MODELS, KEY, City


@pytest.mark.parametrize("mode", [instructor.Mode.TOOLS, instructor.Mode.JSON, instructor.Mode.JSON_SCHEMA])
@pytest.mark.parametrize("model", CHAT_MODELS)
def test_extracts_a_model(gateway_url: str, model: str, mode: instructor.Mode) -> None:
    raw = openai.OpenAI(base_url=gateway_url + "/v1", api_key=KEY, max_retries=0)
    client = instructor.from_openai(raw, mode=mode)
    city = client.chat.completions.create(
        model=model,
        response_model=City,
        max_retries=0,
        messages=[{"role": "user", "content": "Tell me about Paris"}],
    )
    assert isinstance(city, City) and isinstance(city.population, int) and city.landmarks


@pytest.mark.parametrize("model", CHAT_MODELS)
async def test_async_extraction(gateway_url: str, model: str) -> None:
    raw = openai.AsyncOpenAI(base_url=gateway_url + "/v1", api_key=KEY, max_retries=0)
    client = instructor.from_openai(raw)
    city = await client.chat.completions.create(
        model=model, response_model=City, max_retries=0, messages=[{"role": "user", "content": "Rome?"}]
    )
    assert isinstance(city, City)
