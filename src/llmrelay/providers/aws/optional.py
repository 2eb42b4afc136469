"""botocore is an optional dependency (`pip install 'llmrelay[bedrock]'`), imported on first use: an
AWS call without it fails with this clear error rather than an ImportError."""

from __future__ import annotations

from llmrelay.types.errors import LLMError


def missing_botocore(exc: ImportError, provider: str) -> LLMError:
    # a plain LLMError: not retryable (nothing will change), but another deployment may answer
    return LLMError(f"AWS calls need botocore: pip install 'llmrelay[bedrock]' ({exc})", provider=provider)


def require_botocore(provider: str) -> None:
    """Fail before a request is sent (a stream's decoder is made only once its response is open)."""
    try:
        import botocore.eventstream  # noqa: F401
    except ImportError as exc:
        raise missing_botocore(exc, provider) from exc
