"""The deployment parameters the Bedrock adapter reads (LiteLLM's names): litellm_params or SDK
keywords, never the request body. Light on purpose: the registry reads it without the adapter."""

from __future__ import annotations

from llmrelay.providers.aws.params import (
    AWS_SECRETS,
    AWS_SETTINGS,
    PROFILE_PARAM,
    REGION_PARAM,
    ROLE_PARAM,
    WEB_IDENTITY_TOKEN_PARAM,
)
from llmrelay.providers.declarations import ProviderParams

ENDPOINT_PARAM = "aws_bedrock_runtime_endpoint"

BEDROCK_PARAMS = ProviderParams(secrets=AWS_SECRETS, settings=(*AWS_SETTINGS, ENDPOINT_PARAM))

__all__ = ["BEDROCK_PARAMS", "ENDPOINT_PARAM", "PROFILE_PARAM", "REGION_PARAM", "ROLE_PARAM"]
__all__ += ["WEB_IDENTITY_TOKEN_PARAM"]
