"""The deployment parameters the Vertex AI adapter reads (LiteLLM's names, with the longer spellings
it also takes): litellm_params or SDK keywords, never the request body. Light on purpose: the
registry reads it without the adapter."""

from __future__ import annotations

from llmrelay.providers.declarations import ProviderParams

PROJECT_PARAMS = ("vertex_project", "vertex_ai_project")
LOCATION_PARAMS = ("vertex_location", "vertex_ai_location")
# a service account's key (a file path or its JSON), or other Google credentials
CREDENTIALS_PARAMS = ("vertex_credentials", "vertex_ai_credentials")

VERTEX_PARAMS = ProviderParams(secrets=CREDENTIALS_PARAMS, settings=(*PROJECT_PARAMS, *LOCATION_PARAMS))
