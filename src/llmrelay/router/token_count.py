"""A provider's own input-token count for an Anthropic Messages body (POST /v1/messages/count_tokens),
when the model is served by Anthropic's API, which counts for free and knows Claude's tokenizer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmrelay.engine import Engine
from llmrelay.providers.anthropic.adapter import AnthropicProvider
from llmrelay.router.deployments import RouterDeployment


async def upstream_input_tokens(
    engine: Engine, deployments: Sequence[RouterDeployment], body: dict[str, Any], betas: list[str] | None
) -> int | None:
    """Anthropic's count from the group's first Anthropic deployment; None when there is none."""
    for deployment in deployments:
        adapter = engine.adapter(deployment.target)
        # exactly Anthropic's API: Claude elsewhere (Vertex AI, Bedrock) counts at other addresses
        if type(adapter) is AnthropicProvider and not deployment.is_wildcard:
            target = deployment.target
            request = adapter.prepare_count_tokens(body, target, betas)
            response = await engine.send(adapter, request, target, target.timeout)
            return adapter.parse_count_tokens(response)
    return None
