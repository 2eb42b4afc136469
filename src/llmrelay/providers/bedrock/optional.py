"""botocore is an optional dependency (`pip install 'llmrelay[bedrock]'`), imported on first use: a
Bedrock call without it fails with this clear error rather than an ImportError."""

from __future__ import annotations

from llmrelay.types.errors import LLMError


def missing_botocore(exc: ImportError) -> LLMError:
    # a plain LLMError: not retryable (nothing will change), but another deployment may answer
    return LLMError(
        f"AWS Bedrock needs botocore: pip install 'llmrelay[bedrock]' ({exc})", provider="bedrock"
    )


def require_botocore() -> None:
    """Fail before a request is sent (a stream's decoder is made only once its response is open)."""
    try:
        import botocore.eventstream  # noqa: F401
    except ImportError as exc:
        raise missing_botocore(exc) from exc
