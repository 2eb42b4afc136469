"""Snowflake Cortex REST API (docs.snowflake.com, "Cortex REST API"), sans-IO:
`POST {api_base}/cortex/v1/chat/completions`, OpenAI's chat body and answers, where api_base is
`https://<account>.snowflakecomputing.com/api/v2` (from SNOWFLAKE_ACCOUNT_ID when not given).

Snowflake says how to read the bearer token in a header of its own,
`X-Snowflake-Authorization-Token-Type`: a key-pair JWT (`KEYPAIR_JWT`, the default, as
SNOWFLAKE_JWT holds), or, for a key written `pat/<token>` as LiteLLM takes it, a programmatic access
token (`PROGRAMMATIC_ACCESS_TOKEN`, sent without the `pat/`). The JWT is minted by the caller (from
the account's key pair); llmrelay does not sign one.
"""

from __future__ import annotations

import os

from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.openai.adapter import OPENAI_CHAT_PARAMS, OpenAICompatible
from llmrelay.providers.paths import path_part
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError

ACCOUNT_ENV = "SNOWFLAKE_ACCOUNT_ID"
PAT_PREFIX = "pat/"
TOKEN_TYPE_HEADER = "x-snowflake-authorization-token-type"
# the OpenAI fields LiteLLM maps for Snowflake; the others are refused
_TAKEN = frozenset({"temperature", "top_p", "max_tokens", "max_completion_tokens", "tools", "tool_choice"})

SNOWFLAKE_SPEC = CompatSpec(
    name="snowflake",
    api_key_env=("SNOWFLAKE_JWT",),
    api_base_env=("SNOWFLAKE_API_BASE",),
    embeddings=False,
    # usage is read when Snowflake reports it; stream_options is not sent (LiteLLM sends none)
    stream_usage=False,
    unsupported_params=OPENAI_CHAT_PARAMS - _TAKEN,
    max_tokens_field="max_completion_tokens",
    docs="https://docs.snowflake.com/en/user-guide/snowflake-cortex/cortex-rest-api",
)


class SnowflakeProvider(OpenAICompatible):
    def __init__(self) -> None:
        super().__init__(SNOWFLAKE_SPEC)

    def api_base(self, deployment: Deployment) -> str:
        if deployment.api_base or any(os.environ.get(v) for v in self.api_base_env):
            return super().api_base(deployment)
        account = os.environ.get(ACCOUNT_ENV)
        if not account:
            raise BadRequestError(
                "Snowflake needs the account that serves the call: set SNOWFLAKE_ACCOUNT_ID, or pass "
                "api_base=https://<account>.snowflakecomputing.com/api/v2",
                provider=self.name,
                model=deployment.model,
                param="api_base",
            )
        host = path_part(account.lower(), provider=self.name, param=ACCOUNT_ENV)
        return f"https://{host}.snowflakecomputing.com/api/v2"

    def url(self, deployment: Deployment, endpoint: str) -> str:
        return f"{self.api_base(deployment)}/cortex/v1/{endpoint}"

    def headers(self, deployment: Deployment) -> dict[str, str]:
        key = self.api_key(deployment)
        kind = "KEYPAIR_JWT"
        if key.startswith(PAT_PREFIX):
            key, kind = key.removeprefix(PAT_PREFIX), "PROGRAMMATIC_ACCESS_TOKEN"
        headers = {
            "content-type": "application/json",
            "accept": "application/json",
            "authorization": f"Bearer {key}",
            TOKEN_TYPE_HEADER: kind,
        }
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers
