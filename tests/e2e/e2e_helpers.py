"""Helpers for the e2e tests: the expected cost from the catalog, collecting a stream, serving a gateway."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import llmrelay
from llmrelay.testing import RunningSimulator
from llmrelay.testing.gateway import serving
from llmrelay.types.response import Usage


def expected_cost_micros(client: llmrelay.Client, model: str, usage: Usage) -> int:
    """Catalog price times usage for a call without cached or reasoning tokens, rounded half up."""
    provider, _, name = model.partition("/")
    info = client.catalog.get(name, provider)
    assert info is not None and info.input and info.output is not None, f"{model} has no price"
    picos = usage.prompt_tokens * info.input + usage.completion_tokens * info.output
    return (picos + 500_000) // 1_000_000


async def collect(stream: Any) -> list[Any]:
    return [chunk async for chunk in stream]


@dataclass(frozen=True)
class Target:
    """One provider as the e2e tests call it."""

    provider: str
    model: str  # provider/model, priced in the catalog
    sim: RunningSimulator

    def kwargs(self) -> dict[str, str]:
        return self.sim.sdk_kwargs()


MODELS = {
    "openai": "openai/gpt-4o-mini",
    "anthropic": "anthropic/claude-haiku-4-5",
    "gemini": "gemini/gemini-2.5-flash",
    "cohere": "cohere/command-r-08-2024",
    "bedrock": "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
}


def serve_gateway(app: Any) -> contextlib.AbstractContextManager[str]:
    """A gateway app (what `llmrelay serve` runs) on Granian's embedded server, on a thread of its
    own; yields its base URL."""
    return serving(app)
