"""What an SDK call's keywords may carry besides its request: provider credentials, and a
`mock_response` that names an error. (The keywords are read into a call in sdk/keywords.py.)"""

from __future__ import annotations

from typing import Any

from llmrelay.types import errors
from llmrelay.types.errors import LLMError

# provider credentials a call may carry as keywords (LiteLLM's names): they go to the deployment, like
# api_key, never into the request body (which callbacks see). Vertex AI's project and location ride
# along: they place the deployment, and are no model parameters either.
CREDENTIAL_PARAMS = (
    "azure_ad_token",
    # Azure OpenAI with a Microsoft Entra ID app registration (client-credentials grant)
    "tenant_id",
    "client_id",
    "client_secret",
    "azure_scope",
    "azure_authority_host",
    # AWS Bedrock: keys, region, profile and endpoint (the region and endpoint steer the call; the
    # assume-role names are taken so they never reach a body, and rejected by the adapter)
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_region_name",
    "aws_profile_name",
    "aws_bedrock_runtime_endpoint",
    "aws_role_name",
    "aws_session_name",
    "aws_web_identity_token",
    # Google Vertex AI
    "vertex_credentials",
    "vertex_ai_credentials",
    "vertex_project",
    "vertex_ai_project",
    "vertex_location",
    "vertex_ai_location",
)


_CREDENTIAL_NAMES = frozenset(CREDENTIAL_PARAMS)


def take_credentials(params: dict[str, Any]) -> dict[str, Any] | None:
    """Remove the provider credentials from a call's keywords; what was given, or None."""
    # every SDK call asks: a look over its few keywords, not over every credential name
    if params.keys().isdisjoint(_CREDENTIAL_NAMES):
        return None
    found = {name: params.pop(name) for name in CREDENTIAL_PARAMS if name in params}
    given = {name: value for name, value in found.items() if value is not None}
    return given or None


# mock_response="litellm.RateLimitError" (LiteLLM's spelling) raises that error, for fallback tests
_MOCK_ERROR_PREFIXES = ("litellm.", "llmrelay.")


def mock_error(mock: Any, model: str) -> BaseException | None:
    """The exception a mock_response asks to raise, or None when it is an answer."""
    if isinstance(mock, BaseException):
        return mock
    if isinstance(mock, str) and mock.startswith(_MOCK_ERROR_PREFIXES):
        cls = getattr(errors, mock.partition(".")[2], None)
        if isinstance(cls, type) and issubclass(cls, LLMError):
            return cls(f"mock_response asked for {cls.__name__}", model=model, provider="mock")
    return None
