"""The deployment parameters the Azure OpenAI adapter reads (LiteLLM's names): litellm_params or SDK
keywords, never the request body. Light on purpose: the registry reads it without the adapter."""

from __future__ import annotations

from llmrelay.providers.declarations import ProviderParams

# a Microsoft Entra ID token
AD_TOKEN_PARAM = "azure_ad_token"
# a callable that returns one (SDK only; providers/azure/token_provider.py)
TOKEN_PROVIDER_PARAM = "azure_ad_token_provider"

AZURE_PARAMS = ProviderParams(
    secrets=(AD_TOKEN_PARAM, TOKEN_PROVIDER_PARAM, "client_secret"),
    # with client_secret: an app registration, for the client-credentials grant (entra.py)
    # azure_identity: AZURE_CREDENTIAL's values for one deployment (ambient.py), what
    # litellm_settings.enable_azure_ad_token_refresh sets
    settings=("tenant_id", "client_id", "azure_scope", "azure_authority_host", "azure_identity"),
)
