"""DataRobot (LiteLLM's datarobot/): OpenAI's chat wire, at the account's LLM gateway
(`{host}/api/v2/genai/llmgw/chat/completions`) or at one deployment of its own
(`{host}/api/v2/deployments/{id}/chat/completions`), whichever api_base (DATAROBOT_ENDPOINT) names:

- a host alone (`https://app.datarobot.com`, the default) → the LLM gateway;
- `{host}/api/v2` → the LLM gateway under it;
- `{host}/api/v2/deployments/{id}` → that deployment's chat endpoint.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.types.deployment import Deployment

GATEWAY_PATH = "/genai/llmgw"

DATAROBOT_SPEC = CompatSpec(
    name="datarobot",
    api_base="https://app.datarobot.com",
    api_key_env=("DATAROBOT_API_TOKEN",),
    api_base_env=("DATAROBOT_ENDPOINT",),
    embeddings=False,
    docs="https://docs.litellm.ai/docs/providers/datarobot",
)


class DataRobotProvider(OpenAICompatible):
    def __init__(self) -> None:
        super().__init__(DATAROBOT_SPEC)

    def url(self, deployment: Deployment, endpoint: str) -> str:
        parts = urlsplit(self.api_base(deployment))
        path = parts.path.rstrip("/")
        if "/api/v2/deployments/" in f"{path}/":
            pass  # one deployment of the account's: its own chat endpoint
        elif path.endswith("/api/v2"):
            path += GATEWAY_PATH
        elif not path:
            path = "/api/v2" + GATEWAY_PATH
        return urlunsplit(parts._replace(path=f"{path}/{endpoint}", query="", fragment=""))
