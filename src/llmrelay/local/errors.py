"""The in-process server's refusals: each becomes an OpenAI-style error answer (answers.py), which
the adapter's classify_error maps onto the error classes like any provider's."""

from __future__ import annotations


class LocalModelError(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code


class GenerationCancelled(Exception):
    """The caller went away (a timeout, a closed stream): the generation stopped early."""


MISSING_EXTRA = (
    "huggingface_local needs torch, transformers and sentence-transformers: pip install 'llmrelay[local]'"
)


def failure_message(error: BaseException) -> str:
    """What a model's unexpected failure is called in its error answer (short: torch's can be long)."""
    text = f"the local model failed: {type(error).__name__}: {error}"
    return text if len(text) <= 300 else text[:297] + "..."
