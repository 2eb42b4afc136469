"""DigitalOcean Gradient AI (LiteLLM's gradient_ai/): OpenAI's chat wire, at the serverless
inference endpoint (`https://inference.do-ai.run/v1/chat/completions`) or at an agent's own endpoint
(`{agent}/api/v1/chat/completions`, from api_base or GRADIENT_AI_AGENT_ENDPOINT). Gradient's own
fields (`k`, `kb_filters`, `retrieval_method`, `provide_citations`...) go through extra_body; of
OpenAI's optional fields it takes the sampling ones only (the others are refused, or dropped with
drop_params)."""

from __future__ import annotations

from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.openai.adapter import OPENAI_CHAT_PARAMS, OpenAICompatible
from llmrelay.types.deployment import Deployment

SERVERLESS = "https://inference.do-ai.run"
_TAKEN = frozenset({"frequency_penalty", "max_tokens", "max_completion_tokens", "presence_penalty", "stop",
                    "temperature", "top_p", "stream_options"})  # fmt: skip

GRADIENT_AI_SPEC = CompatSpec(
    name="gradient_ai",
    api_base=SERVERLESS,
    api_key_env=("GRADIENT_AI_API_KEY",),
    api_base_env=("GRADIENT_AI_AGENT_ENDPOINT",),
    embeddings=False,
    unsupported_params=OPENAI_CHAT_PARAMS - _TAKEN,
    docs="https://docs.litellm.ai/docs/providers/gradient_ai",
)


class GradientAIProvider(OpenAICompatible):
    def __init__(self) -> None:
        super().__init__(GRADIENT_AI_SPEC)

    def url(self, deployment: Deployment, endpoint: str) -> str:
        base = self.api_base(deployment)
        if base == SERVERLESS:
            return f"{SERVERLESS}/v1/{endpoint}"
        return f"{base}/api/v1/{endpoint}"  # an agent's endpoint
