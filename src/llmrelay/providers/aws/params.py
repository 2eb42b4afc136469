"""The AWS credential parameters (LiteLLM's names), read by every AWS provider: litellm_params or SDK
keywords, never the request body. Light on purpose: the registry reads them without the adapters."""

from __future__ import annotations

ACCESS_KEY_PARAM = "aws_access_key_id"
SECRET_KEY_PARAM = "aws_secret_access_key"
SESSION_TOKEN_PARAM = "aws_session_token"
REGION_PARAM = "aws_region_name"
PROFILE_PARAM = "aws_profile_name"
ROLE_PARAM = "aws_role_name"
SESSION_NAME_PARAM = "aws_session_name"
WEB_IDENTITY_TOKEN_PARAM = "aws_web_identity_token"
STS_ENDPOINT_PARAM = "aws_sts_endpoint"
EXTERNAL_ID_PARAM = "aws_external_id"

# the access key id only names a key, but LiteLLM's users treat it as secret, and so does llmrelay
AWS_SECRETS = (ACCESS_KEY_PARAM, SECRET_KEY_PARAM, SESSION_TOKEN_PARAM, WEB_IDENTITY_TOKEN_PARAM)
# an external id is a shared value a role's trust policy checks, not a credential
AWS_SETTINGS = (
    REGION_PARAM, PROFILE_PARAM, ROLE_PARAM, SESSION_NAME_PARAM, STS_ENDPOINT_PARAM, EXTERNAL_ID_PARAM,
)  # fmt: skip
