"""The deployment parameters the Bedrock adapter reads (LiteLLM's names): litellm_params or SDK
keywords, never the request body. Light on purpose: the registry reads it without the adapter."""

from __future__ import annotations

from llmrelay.providers.declarations import ProviderParams

ACCESS_KEY_PARAM = "aws_access_key_id"
SECRET_KEY_PARAM = "aws_secret_access_key"
SESSION_TOKEN_PARAM = "aws_session_token"
REGION_PARAM = "aws_region_name"
PROFILE_PARAM = "aws_profile_name"
ENDPOINT_PARAM = "aws_bedrock_runtime_endpoint"
# LiteLLM's assume-role settings: taken off the call (the token is a credential), but refused by the
# adapter (credentials.py)
WEB_IDENTITY_TOKEN_PARAM = "aws_web_identity_token"
UNSUPPORTED_PARAMS = ("aws_role_name", "aws_session_name", WEB_IDENTITY_TOKEN_PARAM)

BEDROCK_PARAMS = ProviderParams(
    # the access key id only names a key, but LiteLLM's users treat it as secret, and so does llmrelay
    secrets=(ACCESS_KEY_PARAM, SECRET_KEY_PARAM, SESSION_TOKEN_PARAM, WEB_IDENTITY_TOKEN_PARAM),
    settings=(REGION_PARAM, PROFILE_PARAM, ENDPOINT_PARAM, "aws_role_name", "aws_session_name"),
)
