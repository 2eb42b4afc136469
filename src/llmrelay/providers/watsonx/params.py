"""The deployment parameters the watsonx adapters read (LiteLLM's names): litellm_params or SDK
keywords, never the request body. Light on purpose: the registry reads it without the adapter."""

from __future__ import annotations

from llmrelay.providers.declarations import ProviderParams

# a ready IAM (or Cloud Pak) bearer token; a Cloud Pak for Data ZenApiKey
TOKEN_PARAM = "token"
ZEN_KEY_PARAM = "zen_api_key"
# where the models run: one of a project or a deployment space (`watsonx_project` is LiteLLM's
# vertex-like alias of project_id)
PROJECT_PARAMS = ("project_id", "watsonx_project")
SPACE_PARAM = "space_id"
# the IAM token endpoint (default IBM Cloud's; WATSONX_IAM_URL): a Cloud Pak's, or a simulator's
IAM_URL_PARAM = "watsonx_iam_url"

WATSONX_PARAMS = ProviderParams(
    secrets=(TOKEN_PARAM, ZEN_KEY_PARAM),
    settings=(*PROJECT_PARAMS, SPACE_PARAM, IAM_URL_PARAM),
)
