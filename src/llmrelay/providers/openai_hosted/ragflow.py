"""RAGFlow (LiteLLM's ragflow/): OpenAI's chat wire, per chat assistant or agent of a RAGFlow
server. The model string names which: `ragflow/chat/{chat_id}/{model}` →
`{server}/api/v1/chats_openai/{chat_id}/chat/completions`, `ragflow/agent/{agent_id}/{model}` →
`{server}/api/v1/agents_openai/{agent_id}/chat/completions`, with `{model}` as the body's model.
api_base (RAGFLOW_API_BASE) is the server, with or without its `/v1` or `/api/v1`."""

from __future__ import annotations

import msgspec

from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.providers.paths import path_part
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError
from llmrelay.types.http import HttpRequest

_KINDS = {"chat": "chats_openai", "agent": "agents_openai"}

RAGFLOW_SPEC = CompatSpec(
    name="ragflow",
    api_key_env=("RAGFLOW_API_KEY",),
    api_base_env=("RAGFLOW_API_BASE",),
    embeddings=False,
    docs="https://docs.litellm.ai/docs/providers/ragflow",
)


class RagflowProvider(OpenAICompatible):
    def __init__(self) -> None:
        super().__init__(RAGFLOW_SPEC)

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        collection, entity, model = self._target(deployment.model)
        target = msgspec.structs.replace(deployment, model=model)
        base = self.api_base(deployment).removesuffix("/api/v1").removesuffix("/v1")
        url = f"{base}/api/v1/{collection}/{entity}/chat/completions"
        body = self.chat_body(request, target)
        return HttpRequest(url=url, headers=self.headers(deployment), body=body, stream=bool(request.stream))

    def _target(self, model: str) -> tuple[str, str, str]:
        kind, _, rest = model.partition("/")
        entity, _, name = rest.partition("/")
        if kind not in _KINDS or not entity or not name:
            raise BadRequestError(
                f"a RAGFlow model is 'ragflow/chat/<chat_id>/<model>' or 'ragflow/agent/<agent_id>/<model>', "
                f"not {model!r}",
                provider=self.name,
                model=model,
                param="model",
            )
        return _KINDS[kind], path_part(entity, provider=self.name, param="model"), name
