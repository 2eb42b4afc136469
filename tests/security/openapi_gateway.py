"""The gateway the OpenAPI tests read and fuzz: every route family on (model groups on the OpenAI,
Anthropic and Cohere simulators, virtual keys on SQLite in a temporary directory, Prometheus metrics,
the admin UI, the docs) behind a master key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmrelay.testing import SimulatorGroup

MASTER_KEY = "sk-openapi-fuzz-master"


def gateway_document(sims: SimulatorGroup, tmp: Path) -> dict[str, Any]:
    openai, anthropic = sims.openai.sdk_kwargs(), sims.anthropic.sdk_kwargs()
    cohere = sims.cohere.sdk_kwargs()
    models = [
        ("gpt-4o-mini", "openai/gpt-4o-mini", openai),
        ("claude", "anthropic/claude-haiku-4-5", anthropic),
        ("embed", "openai/text-embedding-3-small", openai),
        ("rerank", "cohere/rerank-v3.5", cohere),
        ("moderation", "openai/omni-moderation-latest", openai),
        ("dall-e-3", "openai/dall-e-3", openai),
        ("dall-e-2", "openai/dall-e-2", openai),
        ("whisper", "openai/whisper-1", openai),
    ]
    return {
        "model_list": [
            {"model_name": name, "litellm_params": {"model": model, **kwargs}}
            for name, model, kwargs in models
        ],
        "litellm_settings": {"callbacks": ["prometheus"]},
        "general_settings": {
            "master_key": MASTER_KEY,
            "database_url": f"sqlite+aiosqlite:///{tmp / 'gateway.sqlite'}",
            "spend_spool_dir": str(tmp / "spool"),
        },
    }
