"""What an SDK call's keywords may carry besides its request: provider credentials, and a
`mock_response` that names an error. (The keywords are read into a call in sdk/keywords.py.)"""

from __future__ import annotations

from typing import Any

from llmrelay.providers.registry import declared_names
from llmrelay.types import errors
from llmrelay.types.errors import LLMError

# the deployment parameters the providers declare (credentials, and what places a call: a region, a
# project, an endpoint), which a call may carry as keywords (LiteLLM's names): they go to the
# deployment, like api_key, never into the request body (which callbacks see)
CREDENTIAL_PARAMS = declared_names()


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
