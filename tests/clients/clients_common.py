"""Shared bits of the client-library tests: the demo's chat models and the tool / schema they use."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from llmrelay.cli.demo import DEMO_MASTER_KEY

KEY = DEMO_MASTER_KEY
# the demo's chat model groups, one per simulated provider
CHAT_MODELS = ["gpt-4o-mini", "claude-sonnet", "gemini-flash"]
EMBEDDING_MODEL = "text-embedding-3-small"


class City(BaseModel):
    name: str
    population: int
    landmarks: list[str]


def get_weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
